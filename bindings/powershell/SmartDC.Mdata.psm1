# SmartDC.Mdata: configure a Windows guest on SmartOS/Triton (bhyve) from
# its metadata. The work of talking to the metadata service (COM2, V2
# protocol, deadlines, retries, a busy port) and of normalising sdc:nics,
# sdc:routes and sdc:resolvers is done by mdata-netcfg.exe (libmdata); this
# module runs it, checks its exit code, reads its JSON and applies it with
# the NetTCPIP and DnsClient cmdlets, changing only what differs.
#
# Works with Windows PowerShell 5.1 and PowerShell 7. Every wait is bounded;
# everything is logged to a file (default C:\smartdc\log\mdata-network.log).

Set-StrictMode -Version 2.0

$script:DefaultBinDir = 'C:\smartdc\bin'
$script:DefaultLog = 'C:\smartdc\log\mdata-network.log'
$script:LogPath = $script:DefaultLog

function Write-MdataLog {
    <#
    .SYNOPSIS
    Append a time-stamped line to the module's log and write it as
    verbose output (or a warning with -Warning).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Message,
        [switch]$Warning
    )
    $line = '{0} {1}' -f (Get-Date -Format 'yyyy-MM-ddTHH:mm:ss.fffK'), $Message
    try {
        $dir = Split-Path -Parent $script:LogPath
        if ($dir -and -not (Test-Path -LiteralPath $dir)) {
            New-Item -ItemType Directory -Path $dir -Force | Out-Null
        }
        Add-Content -LiteralPath $script:LogPath -Value $line -Encoding ASCII
    } catch {
        # A log that cannot be written must not stop the configuration.
    }
    if ($Warning) { Write-Warning $Message } else { Write-Verbose $Message }
}

function Invoke-MdataTool {
    <#
    .SYNOPSIS
    Run one of the libmdata tools (mdata-get.exe, mdata-netcfg.exe, ...)
    with a deadline; return its exit code and standard output.
    .DESCRIPTION
    Standard output and standard error go to temporary files (never merged:
    in Windows PowerShell 5.1 2>&1 turns stderr lines into error records).
    The process is killed when it outlives TimeoutSeconds.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Name,
        [string[]]$Arguments = @(),
        [int]$TimeoutSeconds = 120,
        [string]$BinDir = $script:DefaultBinDir
    )
    $exe = Join-Path $BinDir $Name
    if (-not (Test-Path -LiteralPath $exe)) {
        throw "mdata: $exe not found"
    }
    $out = [System.IO.Path]::GetTempFileName()
    $err = [System.IO.Path]::GetTempFileName()
    try {
        $quoted = @($Arguments | ForEach-Object {
                if ($_ -match '[\s"]') { '"' + ($_ -replace '"', '\"') + '"' } else { $_ }
            })
        $start = @{
            FilePath               = $exe
            NoNewWindow            = $true
            PassThru               = $true
            RedirectStandardOutput = $out
            RedirectStandardError  = $err
        }
        if ($quoted.Count -gt 0) { $start.ArgumentList = $quoted }
        $p = Start-Process @start
        # Without a cached handle ExitCode may stay $null (Windows
        # PowerShell 5.1 with -PassThru).
        $null = $p.Handle
        if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
            try { $p.Kill() } catch { }
            throw ("mdata: {0} did not finish within {1} s" -f $Name, $TimeoutSeconds)
        }
        $p.WaitForExit()
        $errText = [System.IO.File]::ReadAllText($err)
        if ($errText) { Write-MdataLog ("{0}: {1}" -f $Name, $errText.Trim()) }
        [pscustomobject]@{
            ExitCode = $p.ExitCode
            Output   = [System.IO.File]::ReadAllText($out)
            Error    = $errText
        }
    } finally {
        Remove-Item -LiteralPath $out, $err -Force -ErrorAction SilentlyContinue
    }
}

function Get-MdataValue {
    <#
    .SYNOPSIS
    The value of one metadata key (mdata-get.exe), or $null when the key
    does not exist. Throws on any other failure.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Key,
        [int]$TimeoutSeconds = 60,
        [string]$BinDir = $script:DefaultBinDir
    )
    $r = Invoke-MdataTool -Name 'mdata-get.exe' -BinDir $BinDir `
        -Arguments @('-t', "$TimeoutSeconds", '--', $Key) `
        -TimeoutSeconds ($TimeoutSeconds + 30)
    switch ($r.ExitCode) {
        0 {
            # mdata-get adds one LF to a value that does not end in one.
            if ($r.Output.EndsWith("`n")) { return $r.Output.Substring(0, $r.Output.Length - 1) }
            return $r.Output
        }
        1 { return $null }
        default { throw ("mdata-get {0} failed (exit {1}): {2}" -f $Key, $r.ExitCode, $r.Error.Trim()) }
    }
}

function Get-MdataNetwork {
    <#
    .SYNOPSIS
    The guest's network configuration from metadata: mdata-netcfg.exe -f
    json, parsed with ConvertFrom-Json. Throws when the tool fails.
    #>
    [CmdletBinding()]
    param(
        [int]$TimeoutSeconds = 60,
        [string]$BinDir = $script:DefaultBinDir,
        [string]$FromFile
    )
    $toolArgs = @('-f', 'json', '-t', "$TimeoutSeconds")
    if ($FromFile) { $toolArgs += @('--from-file', $FromFile) }
    $r = Invoke-MdataTool -Name 'mdata-netcfg.exe' -BinDir $BinDir `
        -Arguments $toolArgs -TimeoutSeconds ($TimeoutSeconds * 6 + 30)
    if ($r.ExitCode -ne 0) {
        throw ("mdata-netcfg failed (exit {0}): {1}" -f $r.ExitCode, $r.Error.Trim())
    }
    $cfg = $r.Output | ConvertFrom-Json
    foreach ($w in @($cfg.warnings)) {
        if ($w) { Write-MdataLog "metadata warning: $w" -Warning }
    }
    return $cfg
}

function ConvertTo-WindowsMac([string]$Mac) {
    # 90:b8:d0:ae:64:51 -> 90-B8-D0-AE-64-51, as Get-NetAdapter prints it.
    return $Mac.ToUpperInvariant().Replace(':', '-')
}

function Wait-MdataAdapter {
    <#
    .SYNOPSIS
    The network adapter with this MAC address, waiting at most
    TimeoutSeconds for it to appear (a driver may still be loading at
    boot). $null when it does not.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Mac,
        [int]$TimeoutSeconds = 60
    )
    $want = ConvertTo-WindowsMac $Mac
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    while ($true) {
        $a = Get-NetAdapter -ErrorAction SilentlyContinue |
            Where-Object { $_.MacAddress -eq $want } |
            Select-Object -First 1
        if ($null -ne $a) { return $a }
        if ((Get-Date) -ge $deadline) { return $null }
        Start-Sleep -Seconds 2
    }
}

function Set-MdataIPInterface([int]$Index, [string]$Family, [hashtable]$Want) {
    # Set-NetIPInterface only for the settings that differ.
    $cur = Get-NetIPInterface -InterfaceIndex $Index -AddressFamily $Family
    $set = @{}
    foreach ($k in $Want.Keys) {
        $prop = if ($k -eq 'NlMtuBytes') { 'NlMtu' } else { $k }
        if ("$($cur.$prop)" -ne "$($Want[$k])") { $set[$k] = $Want[$k] }
    }
    if ($set.Count -gt 0) {
        Write-MdataLog ("ifIndex {0} {1}: Set-NetIPInterface {2}" -f $Index, $Family,
            (($set.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ' '))
        Set-NetIPInterface -InterfaceIndex $Index -AddressFamily $Family @set
    }
}

function Set-MdataIPAddresses([int]$Index, [string]$Family, [string[]]$Want) {
    # Static addresses: remove the manual ones not wanted, add the missing.
    $have = @(Get-NetIPAddress -InterfaceIndex $Index -AddressFamily $Family `
            -PrefixOrigin Manual -ErrorAction SilentlyContinue)
    foreach ($a in $have) {
        $text = '{0}/{1}' -f $a.IPAddress, $a.PrefixLength
        if ($Want -notcontains $text) {
            Write-MdataLog "ifIndex ${Index}: Remove-NetIPAddress $text"
            Remove-NetIPAddress -InputObject $a -Confirm:$false
        }
    }
    foreach ($w in $Want) {
        $ip, $len = $w.Split('/')
        $same = @($have | Where-Object { $_.IPAddress -eq $ip -and $_.PrefixLength -eq [int]$len })
        if ($same.Count -eq 0) {
            Write-MdataLog "ifIndex ${Index}: New-NetIPAddress $w"
            New-NetIPAddress -InterfaceIndex $Index -IPAddress $ip -PrefixLength ([int]$len) | Out-Null
        }
    }
}

function Set-MdataRoute([int]$Index, [string]$Prefix, [string]$NextHop) {
    $have = @(Get-NetRoute -InterfaceIndex $Index -DestinationPrefix $Prefix -ErrorAction SilentlyContinue)
    foreach ($r in $have) {
        if ($r.NextHop -ne $NextHop) {
            Write-MdataLog "ifIndex ${Index}: Remove-NetRoute $Prefix via $($r.NextHop)"
            Remove-NetRoute -InputObject $r -Confirm:$false
        }
    }
    if (@($have | Where-Object { $_.NextHop -eq $NextHop }).Count -eq 0) {
        Write-MdataLog "ifIndex ${Index}: New-NetRoute $Prefix via $NextHop"
        New-NetRoute -InterfaceIndex $Index -DestinationPrefix $Prefix -NextHop $NextHop | Out-Null
    }
}

function Set-MdataDns([int]$Index, [string[]]$Servers, [string]$Suffix) {
    $cur = @(Get-DnsClientServerAddress -InterfaceIndex $Index |
            ForEach-Object { $_.ServerAddresses })
    if (($cur -join ',') -ne ($Servers -join ',')) {
        Write-MdataLog "ifIndex ${Index}: DNS servers $($Servers -join ', ')"
        if ($Servers.Count -gt 0) {
            Set-DnsClientServerAddress -InterfaceIndex $Index -ServerAddresses $Servers
        } else {
            Set-DnsClientServerAddress -InterfaceIndex $Index -ResetServerAddresses
        }
    }
    if ((Get-DnsClient -InterfaceIndex $Index).ConnectionSpecificSuffix -ne $Suffix) {
        Write-MdataLog "ifIndex ${Index}: DNS suffix '$Suffix'"
        Set-DnsClient -InterfaceIndex $Index -ConnectionSpecificSuffix $Suffix
    }
}

function Invoke-MdataStep([string]$What, [scriptblock]$Do) {
    # One configuration step; a failure is logged and counted, not fatal.
    try {
        & $Do | Out-Null
        return $true
    } catch {
        Write-MdataLog "failed: ${What}: $_" -Warning
        return $false
    }
}

function Set-MdataAdapter {
    <#
    .SYNOPSIS
    Apply one interface of Get-MdataNetwork's result to its adapter (found
    by MAC). Returns $true when every step worked.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]$Interface,
        $Network,
        [int]$AdapterWaitSeconds = 60
    )
    $ifc = $Interface
    $a = Wait-MdataAdapter -Mac $ifc.mac -TimeoutSeconds $AdapterWaitSeconds
    if ($null -eq $a) {
        Write-MdataLog ("no adapter with MAC {0} (nic {1}) after {2} s" -f
            (ConvertTo-WindowsMac $ifc.mac), $ifc.name, $AdapterWaitSeconds) -Warning
        return $false
    }
    $i = [int]$a.ifIndex
    Write-MdataLog ("nic {0} ({1}) is adapter '{2}', ifIndex {3}" -f $ifc.name, $ifc.mac, $a.Name, $i)
    $ok = $true
    $v4 = @($ifc.addresses | Where-Object { $_ -notmatch ':' })
    $v6 = @($ifc.addresses | Where-Object { $_ -match ':' })
    # Windows cannot mix DHCP and static IPv4 on one interface: static wins.
    $dhcp = [bool]$ifc.dhcp4 -and $v4.Count -eq 0
    if ($null -ne $ifc.mtu) {
        foreach ($f in 'IPv4', 'IPv6') {
            $ok = (Invoke-MdataStep "$f mtu" { Set-MdataIPInterface $i $f @{ NlMtuBytes = [int]$ifc.mtu } }) -and $ok
        }
    }
    $ok = (Invoke-MdataStep 'IPv4 dhcp' {
            Set-MdataIPInterface $i 'IPv4' @{ Dhcp = $(if ($dhcp) { 'Enabled' } else { 'Disabled' }) } }) -and $ok
    $ok = (Invoke-MdataStep 'IPv6 router discovery' {
            Set-MdataIPInterface $i 'IPv6' @{ RouterDiscovery = $(if ($ifc.ipv6_auto) { 'Enabled' } else { 'Disabled' }) } }) -and $ok
    if (-not $dhcp) {
        $ok = (Invoke-MdataStep 'IPv4 addresses' { Set-MdataIPAddresses $i 'IPv4' $v4 }) -and $ok
    }
    $ok = (Invoke-MdataStep 'IPv6 addresses' { Set-MdataIPAddresses $i 'IPv6' $v6 }) -and $ok
    if ($ifc.gateway4) {
        $ok = (Invoke-MdataStep 'IPv4 gateway' { Set-MdataRoute $i '0.0.0.0/0' $ifc.gateway4 }) -and $ok
    }
    if ($ifc.gateway6) {
        $ok = (Invoke-MdataStep 'IPv6 gateway' { Set-MdataRoute $i '::/0' $ifc.gateway6 }) -and $ok
    }
    foreach ($r in @($ifc.routes)) {
        if ($null -eq $r) { continue }
        # An on-link route has no gateway: next hop 0.0.0.0 or ::.
        $via = if ($r.PSObject.Properties['via']) { $r.via } elseif ($r.to -match ':') { '::' } else { '0.0.0.0' }
        $ok = (Invoke-MdataStep "route $($r.to)" { Set-MdataRoute $i $r.to $via }) -and $ok
    }
    if ($null -ne $Network -and $Network.dns_interface -eq $ifc.name) {
        $suffix = if ($Network.dns_domain) { [string]$Network.dns_domain } else { '' }
        $servers = @($Network.nameservers | Where-Object { $_ })
        $ok = (Invoke-MdataStep 'DNS' { Set-MdataDns $i $servers $suffix }) -and $ok
    }
    return $ok
}

function Invoke-MdataNetwork {
    <#
    .SYNOPSIS
    Configure every network adapter from SmartOS/Triton metadata.
    .DESCRIPTION
    Runs mdata-netcfg.exe (bounded by TimeoutSeconds per request), reads its
    JSON, and applies each nic to the adapter with its MAC address: every
    address of ips (IPv4 and IPv6), DHCP, the primary nic's gateways, MTU,
    routes, DNS servers and suffix. Only settings that differ are changed,
    so running it at every boot does not interrupt the network. Returns 0
    when everything was applied, 1 otherwise (details in the log).
    .EXAMPLE
    Import-Module C:\smartdc\lib\SmartDC.Mdata.psm1; exit (Invoke-MdataNetwork)
    #>
    [CmdletBinding()]
    param(
        [int]$TimeoutSeconds = 60,
        [int]$AdapterWaitSeconds = 60,
        [string]$BinDir = $script:DefaultBinDir,
        [string]$LogPath = $script:DefaultLog,
        [string]$FromFile
    )
    $script:LogPath = $LogPath
    Write-MdataLog 'Invoke-MdataNetwork: start'
    try {
        $net = Get-MdataNetwork -TimeoutSeconds $TimeoutSeconds -BinDir $BinDir -FromFile $FromFile
    } catch {
        Write-MdataLog "Invoke-MdataNetwork: $_" -Warning
        return 1
    }
    $ok = $true
    foreach ($ifc in @($net.interfaces)) {
        if ($null -eq $ifc) { continue }
        $ok = (Set-MdataAdapter -Interface $ifc -Network $net -AdapterWaitSeconds $AdapterWaitSeconds) -and $ok
    }
    Write-MdataLog ('Invoke-MdataNetwork: done, {0}' -f $(if ($ok) { 'all applied' } else { 'with failures' }))
    if ($ok) { return 0 } else { return 1 }
}

$exported = @(
    'Invoke-MdataNetwork', 'Get-MdataNetwork', 'Get-MdataValue',
    'Set-MdataAdapter', 'Wait-MdataAdapter', 'Invoke-MdataTool', 'Write-MdataLog'
)
Export-ModuleMember -Function $exported
