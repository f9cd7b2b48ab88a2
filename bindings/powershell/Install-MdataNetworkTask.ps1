<#
.SYNOPSIS
Install libmdata's network configuration for a Windows guest on
SmartOS/Triton bhyve: copy the tools and the module into C:\smartdc and
register a scheduled task that configures the network from metadata at
every boot, as SYSTEM.

.DESCRIPTION
Run it once while building the image (for example from the answer file's
specialize pass, or by hand before sysprep), from a directory holding
mdata-get.exe, mdata-put.exe, mdata-list.exe, mdata-delete.exe,
mdata-netcfg.exe, SmartDC.Mdata.psm1 and mdata-network.ps1.

With -ReplaceLegacy it also removes the "Setup Networking" task of
sdc-vmtools-windows, which ran enable_networking.ps1.

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Install-MdataNetworkTask.ps1 -ReplaceLegacy
#>
[CmdletBinding()]
param(
    [string]$Source = $PSScriptRoot,
    [string]$Destination = 'C:\smartdc\bin',
    [string]$TaskName = 'SmartDC Network',
    [int]$TimeoutSeconds = 60,
    [int]$TaskLimitMinutes = 15,
    [switch]$ReplaceLegacy
)
$ErrorActionPreference = 'Stop'

$files = @('mdata-get.exe', 'mdata-put.exe', 'mdata-list.exe',
    'mdata-delete.exe', 'mdata-netcfg.exe', 'SmartDC.Mdata.psm1',
    'mdata-network.ps1')
foreach ($f in $files) {
    if (-not (Test-Path -LiteralPath (Join-Path $Source $f))) {
        throw "Install-MdataNetworkTask: $f not found in $Source"
    }
}
if (-not (Test-Path -LiteralPath $Destination)) {
    New-Item -ItemType Directory -Path $Destination -Force | Out-Null
}
foreach ($f in $files) {
    Copy-Item -LiteralPath (Join-Path $Source $f) -Destination $Destination -Force
}
Write-Host "Installed $($files.Count) files into $Destination"

if ($ReplaceLegacy) {
    $old = Get-ScheduledTask -TaskName 'Setup Networking' -ErrorAction SilentlyContinue
    if ($null -ne $old) {
        Unregister-ScheduledTask -TaskName 'Setup Networking' -Confirm:$false
        Write-Host 'Removed the legacy "Setup Networking" task'
    }
}

$script = Join-Path $Destination 'mdata-network.ps1'
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument (
    '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}" -TimeoutSeconds {1} -BinDir "{2}"' -f
    $script, $TimeoutSeconds, $Destination)
$trigger = New-ScheduledTaskTrigger -AtStartup
$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
# Bounded: the task is stopped if it ever runs longer than this.
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Minutes $TaskLimitMinutes) `
    -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable
Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger `
    -Principal $principal -Settings $settings -Force | Out-Null
Write-Host "Registered scheduled task '$TaskName' (at startup, as SYSTEM)"
