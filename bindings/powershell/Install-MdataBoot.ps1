<#
.SYNOPSIS
Install libmdata's boot for a Windows guest on SmartOS/Triton bhyve: copy
the tools and the module into C:\smartdc\bin and register a scheduled task
that runs at every startup, as SYSTEM, before anyone logs on.

.DESCRIPTION
Run it once while building the image (for example from the answer file's
specialize pass, or by hand before sysprep), from a directory holding
mdata-get.exe, mdata-put.exe, mdata-list.exe, mdata-delete.exe,
mdata-netcfg.exe, SmartDC.Mdata.psm1, mdata-boot.ps1 and mdata-network.ps1.

By default the task is "SmartDC Boot" (mdata-boot.ps1: computer name, the
Administrator's password on a new instance, network, operator-script and
user-script); it replaces a "SmartDC Network" task from an earlier install,
since it configures the network itself. With -NetworkOnly the task is
"SmartDC Network" (mdata-network.ps1: the network alone).

With -ReplaceLegacy it also removes the tasks of sdc-vmtools-windows:
"Setup Networking" (enable_networking.ps1) and "Check if preparing disk
image" (prepare_image_runner.ps1, whose job, running sdc:operator-script
and shutting down after an image preparation, mdata-boot.ps1 does).

The task starts at boot without waiting for a logon; Windows does not hold
the logon screen for it, so a logon in the first seconds may still see the
image's computer name.

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Install-MdataBoot.ps1 -ReplaceLegacy
#>
[CmdletBinding()]
param(
    [string]$Source = $PSScriptRoot,
    [string]$Destination = 'C:\smartdc\bin',
    [int]$TimeoutSeconds = 60,
    [int]$ScriptTimeoutSeconds = 1800,
    [int]$TaskLimitMinutes = 0,
    [switch]$NetworkOnly,
    [switch]$ReplaceLegacy
)
$ErrorActionPreference = 'Stop'

$files = @('mdata-get.exe', 'mdata-put.exe', 'mdata-list.exe',
    'mdata-delete.exe', 'mdata-netcfg.exe', 'SmartDC.Mdata.psm1',
    'mdata-boot.ps1', 'mdata-network.ps1')
foreach ($f in $files) {
    if (-not (Test-Path -LiteralPath (Join-Path $Source $f))) {
        throw "Install-MdataBoot: $f not found in $Source"
    }
}
if (-not (Test-Path -LiteralPath $Destination)) {
    New-Item -ItemType Directory -Path $Destination -Force | Out-Null
}
foreach ($f in $files) {
    Copy-Item -LiteralPath (Join-Path $Source $f) -Destination $Destination -Force
}
Write-Host "Installed $($files.Count) files into $Destination"

$remove = @()
if ($ReplaceLegacy) { $remove += @('Setup Networking', 'Check if preparing disk image') }
if ($NetworkOnly) {
    $taskName = 'SmartDC Network'
    $script = Join-Path $Destination 'mdata-network.ps1'
    $scriptArgs = '-TimeoutSeconds {0} -BinDir "{1}"' -f $TimeoutSeconds, $Destination
    $limit = 15
    $remove += 'SmartDC Boot'
} else {
    $taskName = 'SmartDC Boot'
    $script = Join-Path $Destination 'mdata-boot.ps1'
    $scriptArgs = '-TimeoutSeconds {0} -ScriptTimeoutSeconds {1} -BinDir "{2}"' -f
        $TimeoutSeconds, $ScriptTimeoutSeconds, $Destination
    # Room for the network and both scripts at their time limits.
    $limit = [int][math]::Ceiling((2 * $ScriptTimeoutSeconds) / 60) + 15
    $remove += 'SmartDC Network'
}
if ($TaskLimitMinutes -gt 0) { $limit = $TaskLimitMinutes }

foreach ($name in $remove) {
    $old = Get-ScheduledTask -TaskName $name -ErrorAction SilentlyContinue
    if ($null -ne $old) {
        Unregister-ScheduledTask -TaskName $name -Confirm:$false
        Write-Host "Removed the task '$name'"
    }
}

$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument (
    '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}" {1}' -f $script, $scriptArgs)
# At startup, as SYSTEM (a service account: no logon needed, no password
# stored).
$trigger = New-ScheduledTaskTrigger -AtStartup
$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
# Bounded: the task is stopped if it ever runs longer than this.
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Minutes $limit) `
    -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable
Register-ScheduledTask -TaskName $taskName -Action $action -Trigger $trigger `
    -Principal $principal -Settings $settings -Force | Out-Null
Write-Host "Registered scheduled task '$taskName' (at startup, as SYSTEM, limit $limit min)"
