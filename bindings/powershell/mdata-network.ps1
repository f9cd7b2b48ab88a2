# mdata-network.ps1: what the "SmartDC Network" scheduled task runs at
# every boot (see Install-MdataBoot.ps1 -NetworkOnly). Configures the network
# from SmartOS/Triton metadata with the SmartDC.Mdata module next to it and
# exits 0 when everything was applied, 1 otherwise; the details are in
# C:\smartdc\log\mdata-network.log.
param(
    [int]$TimeoutSeconds = 60,
    [int]$AdapterWaitSeconds = 60,
    [string]$BinDir = 'C:\smartdc\bin'
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'SmartDC.Mdata.psm1') -Force
exit (Invoke-MdataNetwork -TimeoutSeconds $TimeoutSeconds `
        -AdapterWaitSeconds $AdapterWaitSeconds -BinDir $BinDir)
