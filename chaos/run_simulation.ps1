<#
.SYNOPSIS
  The Argus chaos simulation for Windows users: the same lifecycle as `deno task simulate`.

.DESCRIPTION
  Starts the order, payment and inventory services (and Argus with -StartArgus when it does not
  answer), sends them orders, prints a summary with the Argus UI link, then stops every process it
  started and removes what it created, also on Ctrl-C or a failure.

  This script only translates its parameters into `deno task simulate` options: the lifecycle
  itself is chaos/simulate.ts, which runs on Windows, macOS and Linux. It uses `deno` from PATH,
  or `npx -y deno@2.9.6` when there is none.

  Untested: PowerShell is not available on the machines this project is developed on.

.EXAMPLE
  .\chaos\run_simulation.ps1 -StartArgus

.EXAMPLE
  .\chaos\run_simulation.ps1 -Requests 50 -Interval 0 -Seed 42 -Protocol grpc
#>
param(
  [ValidateRange(1, 1000000)][int]$Requests = 300,
  [ValidateRange(0, 3600000)][int]$Interval = 200,
  [ValidateRange(1, 10000)][int]$Concurrency = 50,
  # -1: a random seed (printed in the summary).
  [long]$Seed = -1,
  [ValidateSet("http", "grpc")][string]$Protocol = "http",
  [switch]$StartArgus,
  [switch]$NoWait,
  [string]$ArgusUrl = "http://127.0.0.1:8080",
  [string]$OtlpEndpoint = "",
  [ValidateRange(0, 65535)][int]$OrderPort = 9001,
  [ValidateRange(0, 65535)][int]$PaymentPort = 9002,
  [ValidateRange(0, 65535)][int]$InventoryPort = 9003,
  [ValidateRange(0.0, 1.0)][double]$OrderLatencyProbability = 0.3,
  [ValidateRange(0.0, 1.0)][double]$PaymentFailureProbability = 0.1,
  [ValidateRange(0.0, 1.0)][double]$InventoryLockProbability = 0.05,
  [ValidateRange(0.0, 100.0)][double]$LatencyScale = 1,
  [ValidateRange(100, 3600000)][int]$MetricInterval = 5000,
  [switch]$Json,
  [switch]$ServiceOutput
)

$ErrorActionPreference = "Stop"
$invariant = [Globalization.CultureInfo]::InvariantCulture

$taskArgs = @(
  "task", "simulate",
  "--requests", $Requests,
  "--interval", $Interval,
  "--concurrency", $Concurrency,
  "--protocol", $Protocol,
  "--argus-url", $ArgusUrl,
  "--order-port", $OrderPort,
  "--payment-port", $PaymentPort,
  "--inventory-port", $InventoryPort,
  "--order-latency-probability", $OrderLatencyProbability.ToString($invariant),
  "--payment-failure-probability", $PaymentFailureProbability.ToString($invariant),
  "--inventory-lock-probability", $InventoryLockProbability.ToString($invariant),
  "--latency-scale", $LatencyScale.ToString($invariant),
  "--metric-interval", $MetricInterval
)
if ($Seed -ge 0) { $taskArgs += @("--seed", $Seed) }
if ($OtlpEndpoint -ne "") { $taskArgs += @("--otlp-endpoint", $OtlpEndpoint) }
if ($StartArgus) { $taskArgs += "--start-argus" }
if ($NoWait) { $taskArgs += "--no-wait" }
if ($Json) { $taskArgs += "--json" }
if ($ServiceOutput) { $taskArgs += "--verbose" }

# deno task runs from the folder holding deno.json: the project, one level above this script.
Push-Location (Split-Path -Parent $PSScriptRoot)
try {
  if (Get-Command deno -ErrorAction SilentlyContinue) {
    & deno @taskArgs
  } else {
    & npx -y deno@2.9.6 @taskArgs
  }
  $code = $LASTEXITCODE
} finally {
  Pop-Location
}
exit $code
