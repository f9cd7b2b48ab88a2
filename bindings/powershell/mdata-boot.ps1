# mdata-boot.ps1: what the "SmartDC Boot" scheduled task runs at every
# startup, before anyone logs on (see Install-MdataBoot.ps1): the guest's
# boot from SmartOS/Triton metadata with the SmartDC.Mdata module next to
# it (Invoke-MdataBoot: computer name, the Administrator's password on a
# new instance, network, operator-script and user-script). Exits 0 when
# every step worked, 1 otherwise; details in C:\smartdc\log\mdata-boot.log.
param(
    [int]$TimeoutSeconds = 60,
    [int]$AdapterWaitSeconds = 60,
    [int]$ScriptTimeoutSeconds = 1800,
    [string]$BinDir = 'C:\smartdc\bin',
    [switch]$NoRestart
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'SmartDC.Mdata.psm1') -Force
exit (Invoke-MdataBoot -TimeoutSeconds $TimeoutSeconds `
        -AdapterWaitSeconds $AdapterWaitSeconds `
        -ScriptTimeoutSeconds $ScriptTimeoutSeconds -BinDir $BinDir `
        -NoRestart:$NoRestart)
