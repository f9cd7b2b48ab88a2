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

function ConvertTo-MdataArgument([string]$Value) {
    # One argument for a Windows command line, quoted so that the C runtime
    # (which libmdata's tools use) splits it back unchanged: backslashes
    # before a quote and at the end are doubled, quotes escaped.
    if ($Value.Length -gt 0 -and $Value -notmatch '[\s"]') { return $Value }
    $s = [regex]::Replace($Value, '(\\*)"', '$1$1\"')
    $s = [regex]::Replace($s, '(\\+)$', '$1$1')
    return '"' + $s + '"'
}

function Invoke-MdataTool {
    <#
    .SYNOPSIS
    Run one of the libmdata tools (mdata-get.exe, mdata-netcfg.exe, ...)
    with a deadline; return its exit code, standard output and error.
    .DESCRIPTION
    Both streams are read through pipes into memory, never through files
    (a value such as administrator_pw must not touch the disk), at the same
    time (one pipe could fill while the other is waited on), and never
    merged (in Windows PowerShell 5.1, 2>&1 turns stderr lines into error
    records). The process is killed when it outlives TimeoutSeconds.
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
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $exe
    $psi.Arguments = (@($Arguments | ForEach-Object { ConvertTo-MdataArgument $_ }) -join ' ')
    $psi.UseShellExecute = $false
    $psi.CreateNoWindow = $true
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.StandardOutputEncoding = $utf8
    $psi.StandardErrorEncoding = $utf8
    $p = [System.Diagnostics.Process]::Start($psi)
    try {
        $p.StandardInput.Close()
        $outTask = $p.StandardOutput.ReadToEndAsync()
        $errTask = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
            try { $p.Kill() } catch { }
            throw ("mdata: {0} did not finish within {1} s" -f $Name, $TimeoutSeconds)
        }
        $p.WaitForExit()
        $errText = $errTask.Result
        if ($errText) { Write-MdataLog ("{0}: {1}" -f $Name, $errText.Trim()) }
        [pscustomobject]@{
            ExitCode = $p.ExitCode
            Output   = $outTask.Result
            Error    = $errText
        }
    } finally {
        $p.Dispose()
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

# ---- First boot: computer name, Administrator password, scripts ----------
#
# Invoke-MdataBoot does for a Windows guest what cloud-init's SmartOS
# datasource does for Linux. The decisions (which computer name, new
# instance or reboot, whether to set the password, which scripts in which
# order, which values to base64-decode) are taken by pure functions
# (ConvertFrom-MdataBase64Markers, ConvertTo-MdataComputerName,
# Select-MdataComputerName, Get-MdataBootPlan, New-MdataBootState) that only
# look at the metadata values and the previous boot's state and return a
# plan; the functions after them carry the plan out with Windows calls.

# The keys the first boot reads, besides administrator_pw (read apart, as
# a SecureString). Order of the scripts: operator's, then the user's.
$script:BootKeys = @('sdc:uuid', 'hostname', 'sdc:hostname', 'user-data',
    'sdc:operator-script', 'user-script')
$script:BootScriptKeys = @('sdc:operator-script', 'user-script')
$script:PasswordKey = 'administrator_pw'
# Never base64-decoded, whatever the markers say (cloud-init's list).
$script:Base64Exempt = @('iptables_disable', 'motd_sys_info',
    'root_authorized_keys', 'sdc:datacenter_name', 'user-script')
$script:DefaultBootLog = 'C:\smartdc\log\mdata-boot.log'
$script:MaxComputerName = 15

function Get-MdataField($Object, [string]$Name) {
    # A field of a hashtable or of a ConvertFrom-Json object; $null when it
    # is absent (StrictMode refuses reading a missing property).
    if ($null -eq $Object) { return $null }
    if ($Object -is [System.Collections.IDictionary]) { return $Object[$Name] }
    $p = $Object.PSObject.Properties[$Name]
    if ($null -eq $p) { return $null }
    return $p.Value
}

function Test-MdataTrue($Text) {
    # A metadata flag: true, 1, on or yes, in any case, white space ignored.
    if ($null -eq $Text) { return $false }
    return @('true', '1', 'on', 'yes') -contains ([string]$Text).Trim()
}

function Test-MdataBase64Wanted {
    <#
    .SYNOPSIS
    Whether a key's value is to be base64-decoded, by the markers of the
    serial line (cloud-init's rule, as mdata-init's): never for an exempt
    key; always when base64_all is true; else as its b64-<key> says when
    there is one; else when base64_keys (a comma list) names it. Pure.
    #>
    param([string]$Key, [hashtable]$Markers)
    if ($script:Base64Exempt -contains $Key) { return $false }
    if (Test-MdataTrue $Markers['base64_all']) { return $true }
    $marker = $Markers["b64-$Key"]
    if ($null -ne $marker) { return Test-MdataTrue $marker }
    $list = $Markers['base64_keys']
    if ($null -eq $list) { return $false }
    foreach ($item in $list.Split(',')) {
        if ($item.Trim() -ceq $Key) { return $true }
    }
    return $false
}

function ConvertFrom-MdataBase64Markers {
    <#
    .SYNOPSIS
    The metadata values with those the markers name base64-decoded (as
    UTF-8). A value that does not decode is kept as it is, with a note.
    Pure: returns a new hashtable.
    #>
    param(
        [Parameter(Mandatory = $true)][hashtable]$Metadata,
        [hashtable]$Markers = @{},
        [System.Collections.Generic.List[string]]$Notes
    )
    $strict = New-Object System.Text.UTF8Encoding($false, $true)
    $out = @{}
    foreach ($key in @($Metadata.Keys)) {
        $value = $Metadata[$key]
        if ($null -ne $value -and (Test-MdataBase64Wanted $key $Markers)) {
            try {
                $value = $strict.GetString([Convert]::FromBase64String($value))
            } catch {
                if ($null -ne $Notes) { $Notes.Add("$key is marked base64 but does not decode; used as it is") }
            }
        }
        $out[$key] = $value
    }
    return $out
}

function ConvertTo-MdataComputerName {
    <#
    .SYNOPSIS
    A host name made into a valid Windows computer name, or $null.
    .DESCRIPTION
    Windows computer names are NetBIOS names: at most 15 characters, and
    to stay a valid DNS label too, only ASCII letters, digits and '-'. The
    rule: surrounding white space dropped; the first DNS label only
    (web01.example.com -> web01); every other character becomes '-'; cut to
    15 characters; '-' at either end removed. Empty or all-digit results
    (Windows refuses those) give $null. Pure: no side effect.
    .EXAMPLE
    ConvertTo-MdataComputerName 'customer-web-server-01.example.com'   # customer-web-se
    #>
    param([AllowNull()][AllowEmptyString()][string]$Name)
    if ([string]::IsNullOrWhiteSpace($Name)) { return $null }
    $label = $Name.Trim().Split('.')[0]
    $clean = [regex]::Replace($label, '[^A-Za-z0-9-]', '-')
    if ($clean.Length -gt $script:MaxComputerName) {
        $clean = $clean.Substring(0, $script:MaxComputerName)
    }
    $clean = $clean.Trim('-')
    if ($clean.Length -eq 0 -or $clean -match '^[0-9]+$') { return $null }
    return $clean
}

function Select-MdataComputerName {
    <#
    .SYNOPSIS
    The hostname rule: the customer's 'hostname' wins over 'sdc:hostname',
    which wins over 'sdc:uuid'; a value that gives no valid computer name is
    passed over (with a note). Pure.
    .OUTPUTS
    $null, or an object with Name, Source (the key it came from) and
    Rewritten (true when the value had to be cut or changed).
    #>
    param(
        [Parameter(Mandatory = $true)][hashtable]$Metadata,
        [System.Collections.Generic.List[string]]$Notes
    )
    foreach ($key in 'hostname', 'sdc:hostname', 'sdc:uuid') {
        $value = $Metadata[$key]
        if ([string]::IsNullOrWhiteSpace($value)) { continue }
        $name = ConvertTo-MdataComputerName $value
        if ($null -eq $name) {
            if ($null -ne $Notes) { $Notes.Add("$key gives no valid computer name; ignored") }
            continue
        }
        $rewritten = $name -cne $value.Trim()
        if ($rewritten -and $null -ne $Notes) {
            $Notes.Add(("{0} made into the computer name '{1}' (15 characters at most: letters, digits, '-')" -f $key, $name))
        }
        return [pscustomobject]@{ Name = $name; Source = $key; Rewritten = $rewritten }
    }
    return $null
}

function Test-MdataPowerShellScript([string]$Content) {
    # A script is run by Windows PowerShell unless its first line is a #!
    # naming something else (a Linux user-script sent to a Windows guest).
    $first = ($Content.TrimStart() -split "`n", 2)[0].Trim()
    if (-not $first.StartsWith('#!')) { return $true }
    return $first -match '(?i)(powershell|pwsh)(\.exe)?(\s|$)'
}

function Get-MdataBootPlan {
    <#
    .SYNOPSIS
    What this boot must do, decided from the metadata values alone. Pure:
    it reads nothing and changes nothing.
    .PARAMETER Metadata
    The values of the keys in $BootKeys ($null for a missing key).
    .PARAMETER HasAdministratorPw
    Whether administrator_pw holds a non-empty value (the value itself is
    never handed to the plan).
    .PARAMETER State
    The previous boot's state (New-MdataBootState), $null on the image's
    first boot.
    .PARAMETER CurrentComputerName
    The name Windows runs with now ($env:COMPUTERNAME).
    .OUTPUTS
    Instance, PreviousInstance, NewInstance; ComputerName, NameSource,
    NameAction ('rename', 'keep': already so, 'keep-local': changed in
    Windows since we set it and the metadata did not change, 'none': no
    usable name), Restart (after a rename); Password ('set', 'done':
    already set for this instance, 'absent', 'no-instance'); Scripts (keys
    to run, in order); StopAfterOperatorScript; UserData ('write', or
    'remove' when the key is gone); Notes.
    #>
    param(
        [Parameter(Mandatory = $true)][hashtable]$Metadata,
        [bool]$HasAdministratorPw,
        $State,
        [string]$CurrentComputerName
    )
    $notes = New-Object 'System.Collections.Generic.List[string]'
    $uuid = $Metadata['sdc:uuid']
    if ([string]::IsNullOrWhiteSpace($uuid)) {
        $uuid = $null
        $notes.Add('sdc:uuid missing: instance unknown, per-instance steps skipped')
    } else {
        $uuid = $uuid.Trim()
    }
    $previous = Get-MdataField $State 'instance'
    # A new instance: an id other than last boot's, or no record at all.
    $new = ($null -ne $uuid) -and ($uuid -ne $previous)

    $choice = Select-MdataComputerName -Metadata $Metadata -Notes $notes
    $name = $null
    $source = $null
    $nameAction = 'none'
    if ($null -ne $choice) {
        $name = $choice.Name
        $source = $choice.Source
        if ($name -eq $CurrentComputerName) {
            $nameAction = 'keep'
        } elseif (-not $new -and $name -eq (Get-MdataField $State 'computer_name')) {
            # We set this name before; someone renamed the computer since.
            $nameAction = 'keep-local'
        } else {
            $nameAction = 'rename'
        }
    } else {
        $notes.Add('no usable computer name in hostname, sdc:hostname or sdc:uuid')
    }

    if ($null -eq $uuid) {
        $passwordAction = 'no-instance'
    } elseif (-not $HasAdministratorPw) {
        $passwordAction = 'absent'
    } elseif ((Get-MdataField $State 'password_instance') -eq $uuid) {
        $passwordAction = 'done'
    } else {
        $passwordAction = 'set'
    }

    $scripts = New-Object 'System.Collections.Generic.List[string]'
    foreach ($key in $script:BootScriptKeys) {
        $text = $Metadata[$key]
        if ([string]::IsNullOrWhiteSpace($text)) { continue }
        if (-not (Test-MdataPowerShellScript $text)) {
            $notes.Add("$key starts with a #! line for another interpreter; not run")
            continue
        }
        $scripts.Add($key)
    }
    # What sdc-vmtools-windows did: an operator script that prepares an
    # image (imgadm/vmadm create -S) is followed by a shutdown.
    $op = $Metadata['sdc:operator-script']
    $stop = $scripts.Contains('sdc:operator-script') -and ($op -match 'prepare-image')

    $userData = if ($null -ne $Metadata['user-data']) { 'write' } else { 'remove' }

    return [pscustomobject]@{
        Instance                = $uuid
        PreviousInstance        = $previous
        NewInstance             = $new
        ComputerName            = $name
        NameSource              = $source
        NameAction              = $nameAction
        Restart                 = $nameAction -eq 'rename'
        Password                = $passwordAction
        Scripts                 = $scripts.ToArray()
        StopAfterOperatorScript = $stop
        UserData                = $userData
        Notes                   = $notes.ToArray()
    }
}

function Format-MdataBootPlan($Plan) {
    # One log line; the plan holds no secret, so neither does the line.
    $inst = if ($null -eq $Plan.Instance) { 'unknown' } else { $Plan.Instance }
    $age = if ($Plan.NewInstance) { 'new instance' } else { 'same instance' }
    $scripts = if ($Plan.Scripts.Count -gt 0) { $Plan.Scripts -join ', ' } else { 'none' }
    return ('plan: instance {0} ({1}); computer name {2} from {3}: {4}; administrator password: {5}; user-data: {6}; scripts: {7}' -f
        $inst, $age, $Plan.ComputerName, $Plan.NameSource, $Plan.NameAction, $Plan.Password, $Plan.UserData, $scripts)
}

function New-MdataBootState {
    <#
    .SYNOPSIS
    The state to keep for the next boot, before this boot's actions record
    their results in it. Pure.
    #>
    param($Previous, [Parameter(Mandatory = $true)]$Plan, [string]$Now)
    $s = [ordered]@{}
    $s.instance = if ($null -ne $Plan.Instance) { $Plan.Instance } else { Get-MdataField $Previous 'instance' }
    $s.computer_name = Get-MdataField $Previous 'computer_name'
    $s.password_instance = Get-MdataField $Previous 'password_instance'
    $boots = Get-MdataField $Previous 'boots'
    if ($Plan.NewInstance -or $null -eq $boots) {
        $s.boots = 1
        $s.instance_first_boot = $Now
    } else {
        $s.boots = [int]$boots + 1
        $s.instance_first_boot = Get-MdataField $Previous 'instance_first_boot'
    }
    $s.last_boot = $Now
    $s.scripts = [ordered]@{}
    if (-not $Plan.NewInstance) {
        $old = Get-MdataField $Previous 'scripts'
        foreach ($key in $script:BootScriptKeys) {
            $r = Get-MdataField $old $key
            if ($null -ne $r) { $s.scripts[$key] = $r }
        }
    }
    return $s
}

# -- carrying the plan out --------------------------------------------------

function Get-MdataBootStateDir {
    $base = if ($env:ProgramData) { $env:ProgramData } else { 'C:\ProgramData' }
    return Join-Path $base 'SmartDC\mdata-boot'
}

function Initialize-MdataStateDir([string]$Path) {
    # The state directory and its scripts\ folder, for SYSTEM and the
    # Administrators only: nothing inherited from ProgramData, where every
    # user may create files, because the scripts in it run as SYSTEM.
    foreach ($d in $Path, (Join-Path $Path 'scripts')) {
        if (-not (Test-Path -LiteralPath $d)) {
            New-Item -ItemType Directory -Path $d -Force | Out-Null
        }
    }
    $admins = New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')
    $acl = New-Object System.Security.AccessControl.DirectorySecurity
    $acl.SetOwner($admins)
    $acl.SetAccessRuleProtection($true, $false)
    foreach ($sid in 'S-1-5-18', 'S-1-5-32-544') {
        $rule = New-Object System.Security.AccessControl.FileSystemAccessRule(
            (New-Object System.Security.Principal.SecurityIdentifier($sid)), 'FullControl',
            'ContainerInherit, ObjectInherit', 'None', 'Allow')
        $acl.AddAccessRule($rule)
    }
    Set-Acl -LiteralPath $Path -AclObject $acl
}

function Read-MdataBootState([string]$Dir) {
    $path = Join-Path $Dir 'state.json'
    if (-not (Test-Path -LiteralPath $path)) { return $null }
    try {
        return ([System.IO.File]::ReadAllText($path) | ConvertFrom-Json)
    } catch {
        Write-MdataLog "state file $path unreadable ($_): taken as a first boot" -Warning
        return $null
    }
}

function Save-MdataBootState([string]$Dir, $State) {
    # Written beside and then swapped in: a crash leaves the old or the new.
    $path = Join-Path $Dir 'state.json'
    $tmp = "$path.new"
    [System.IO.File]::WriteAllText($tmp, ($State | ConvertTo-Json -Depth 5),
        (New-Object System.Text.UTF8Encoding($false)))
    if (Test-Path -LiteralPath $path) {
        [System.IO.File]::Replace($tmp, $path, [NullString]::Value)
    } else {
        [System.IO.File]::Move($tmp, $path)
    }
}

function Get-MdataBootMetadata {
    <#
    .SYNOPSIS
    The values of $BootKeys, one mdata-get.exe run each ($null for a key
    that does not exist). Throws when the metadata service cannot be read.
    #>
    [CmdletBinding()]
    param([int]$TimeoutSeconds = 60, [string]$BinDir = $script:DefaultBinDir)
    $m = @{}
    foreach ($key in $script:BootKeys) {
        $m[$key] = Get-MdataValue -Key $key -TimeoutSeconds $TimeoutSeconds -BinDir $BinDir
    }
    return $m
}

function Get-MdataBase64Markers {
    <#
    .SYNOPSIS
    The base64 markers that exist for the boot's keys (base64_all,
    base64_keys, b64-<key>), as a hashtable. One mdata-list.exe run says
    which exist (usually none); when it cannot (an old host), each is
    asked for.
    #>
    [CmdletBinding()]
    param([int]$TimeoutSeconds = 60, [string]$BinDir = $script:DefaultBinDir)
    $names = @('base64_all', 'base64_keys')
    foreach ($key in $script:BootKeys) {
        if ($script:Base64Exempt -notcontains $key) { $names += "b64-$key" }
    }
    $r = Invoke-MdataTool -Name 'mdata-list.exe' -BinDir $BinDir `
        -Arguments @('-t', "$TimeoutSeconds") -TimeoutSeconds ($TimeoutSeconds + 30)
    if ($r.ExitCode -eq 0) {
        $listed = @($r.Output -split "`n" | ForEach-Object { $_.TrimEnd("`r") })
        $names = @($names | Where-Object { $listed -ccontains $_ })
    }
    $markers = @{}
    foreach ($name in $names) {
        $markers[$name] = Get-MdataValue -Key $name -TimeoutSeconds $TimeoutSeconds -BinDir $BinDir
    }
    return $markers
}

function Read-MdataSecret {
    <#
    .SYNOPSIS
    A metadata value as a read-only SecureString ($null when the key does
    not exist). The clear text only passes through this function's memory:
    mdata-get.exe's output comes through a pipe, never a file, and is
    never logged.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Key,
        [int]$TimeoutSeconds = 60,
        [string]$BinDir = $script:DefaultBinDir
    )
    $plain = Get-MdataValue -Key $Key -TimeoutSeconds $TimeoutSeconds -BinDir $BinDir
    if ($null -eq $plain) { return $null }
    $secure = New-Object System.Security.SecureString
    foreach ($c in $plain.ToCharArray()) { $secure.AppendChar($c) }
    $plain = $null
    $secure.MakeReadOnly()
    return $secure
}

function Set-MdataAdministratorPassword {
    <#
    .SYNOPSIS
    Set the password of the built-in Administrator (the account with RID
    500, whatever it was renamed to), as sdc-vmtools-windows did with
    administrator_pw, but with no clear text on any command line: the
    LocalAccounts cmdlets, or ADSI where they do not exist. Returns the
    account's name.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][System.Security.SecureString]$Password)
    $account = Get-CimInstance -ClassName Win32_UserAccount -Filter 'LocalAccount=True' |
        Where-Object { $_.SID -match '^S-1-5-21-[0-9-]+-500$' } |
        Select-Object -First 1
    if ($null -eq $account) { throw 'no local account with RID 500 (Administrator)' }
    if (Get-Command -Name 'Set-LocalUser' -ErrorAction SilentlyContinue) {
        Set-LocalUser -SID $account.SID -Password $Password -ErrorAction Stop
    } else {
        # The clear text only in an unmanaged BSTR, zeroed right after.
        $bstr = [System.Runtime.InteropServices.Marshal]::SecureStringToBSTR($Password)
        try {
            $user = [ADSI]('WinNT://./{0},user' -f $account.Name)
            $null = $user.SetPassword([System.Runtime.InteropServices.Marshal]::PtrToStringBSTR($bstr))
        } finally {
            [System.Runtime.InteropServices.Marshal]::ZeroFreeBSTR($bstr)
        }
    }
    return $account.Name
}

function Set-MdataUserData([string]$Dir, $Content) {
    # user-data for the scripts to read, in the state directory (it may hold
    # secrets: SYSTEM and Administrators only), as it is in metadata; written
    # only when it changed, removed when the key is gone. Returns what it did.
    $path = Join-Path $Dir 'user-data'
    if ($null -eq $Content) {
        if (-not (Test-Path -LiteralPath $path)) { return 'none' }
        Remove-Item -LiteralPath $path -Force
        return 'removed'
    }
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    if ((Test-Path -LiteralPath $path) -and
        [System.IO.File]::ReadAllText($path, $utf8) -ceq $Content) { return 'unchanged' }
    [System.IO.File]::WriteAllText($path, $Content, $utf8)
    return 'written'
}

function Invoke-MdataScript {
    <#
    .SYNOPSIS
    Run one metadata script with Windows PowerShell, bounded by
    TimeoutSeconds (the process tree is killed past it); its output goes to
    <name>.stdout.log and <name>.stderr.log beside it. Returns what to
    record: exit_code, timed_out, started, seconds, error. Never throws.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Key,
        [Parameter(Mandatory = $true)][string]$Content,
        [Parameter(Mandatory = $true)][string]$Dir,
        [int]$TimeoutSeconds = 1800
    )
    $base = Join-Path (Join-Path $Dir 'scripts') ($Key -replace '^sdc:', '')
    $path = "$base.ps1"
    $started = Get-Date
    $result = [ordered]@{
        exit_code = $null; timed_out = $false
        started = $started.ToString('o'); seconds = 0; error = $null
        output = "$base.stdout.log"
    }
    try {
        # UTF-8 with a BOM: Windows PowerShell 5.1 reads a file without one
        # in the ANSI code page.
        [System.IO.File]::WriteAllText($path, $Content, (New-Object System.Text.UTF8Encoding($true)))
        $ps = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
        $p = Start-Process -FilePath $ps -NoNewWindow -PassThru `
            -ArgumentList @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass',
                '-File', ('"{0}"' -f $path)) `
            -RedirectStandardOutput "$base.stdout.log" -RedirectStandardError "$base.stderr.log"
        $null = $p.Handle
        if ($p.WaitForExit($TimeoutSeconds * 1000)) {
            $p.WaitForExit()
            $result.exit_code = $p.ExitCode
        } else {
            $result.timed_out = $true
            Start-Process -FilePath (Join-Path $env:SystemRoot 'System32\taskkill.exe') `
                -ArgumentList @('/T', '/F', '/PID', "$($p.Id)") -NoNewWindow -Wait
            $null = $p.WaitForExit(10000)
        }
    } catch {
        $result.error = "$_"
    }
    $result.seconds = [math]::Round(((Get-Date) - $started).TotalSeconds, 1)
    return $result
}

function Write-MdataScriptResult([string]$Key, $Result) {
    if ($Result.error) {
        Write-MdataLog "${Key}: could not run: $($Result.error)" -Warning
    } elseif ($Result.timed_out) {
        Write-MdataLog ("{0}: killed after {1} s (time limit); output in {2}" -f $Key, $Result.seconds, $Result.output) -Warning
    } else {
        $line = "{0}: exit {1} after {2} s; output in {3}" -f $Key, $Result.exit_code, $Result.seconds, $Result.output
        if ($Result.exit_code -eq 0) { Write-MdataLog $line; return }
        Write-MdataLog $line -Warning
        $err = $Result.output -replace 'stdout\.log$', 'stderr.log'
        if (Test-Path -LiteralPath $err) {
            foreach ($l in @(Get-Content -LiteralPath $err -Tail 20)) { Write-MdataLog "${Key} stderr: $l" }
        }
    }
}

function Invoke-MdataBoot {
    <#
    .SYNOPSIS
    The Windows guest's boot from SmartOS/Triton metadata: computer name,
    the Administrator's password, network, operator-script and user-script.
    .DESCRIPTION
    At every boot, as SYSTEM (mdata-boot.ps1, from the "SmartDC Boot"
    scheduled task):
    1. reads sdc:uuid, hostname, sdc:hostname, user-data,
       sdc:operator-script, user-script and administrator_pw (as a
       SecureString), and decodes the values the base64 markers name; when
       the service does not answer, changes nothing and returns 1;
    2. decides with Get-MdataBootPlan, against the state kept in
       ProgramData\SmartDC\mdata-boot\state.json (SYSTEM and
       Administrators only), and logs the plan;
    3. on a new instance (an sdc:uuid other than last boot's), sets the
       built-in Administrator's password from administrator_pw;
    4. renames the computer by the hostname rule when needed and restarts
       it (unless -NoRestart): the rest runs on the next boot, under the
       new name;
    5. configures the network (Invoke-MdataNetwork);
    6. writes user-data to the state directory (removed when the key is
       gone), for the scripts;
    7. runs sdc:operator-script then user-script with Windows PowerShell,
       each bounded by ScriptTimeoutSeconds, output in the state
       directory's scripts folder, exit status in the state and the log; a
       failing script does not stop the next.
    Returns 0 when every step worked and every script exited 0, else 1.
    .EXAMPLE
    Import-Module C:\smartdc\bin\SmartDC.Mdata.psm1; exit (Invoke-MdataBoot)
    #>
    [CmdletBinding()]
    param(
        [int]$TimeoutSeconds = 60,
        [int]$AdapterWaitSeconds = 60,
        [int]$ScriptTimeoutSeconds = 1800,
        [string]$BinDir = $script:DefaultBinDir,
        [string]$LogPath = $script:DefaultBootLog,
        [string]$StateDir = (Get-MdataBootStateDir),
        [switch]$NoNetwork,
        [switch]$NoRestart
    )
    # Every failure below is caught and logged by a step: make the
    # non-terminating ones catchable too.
    $ErrorActionPreference = 'Stop'
    $script:LogPath = $LogPath
    Write-MdataLog 'Invoke-MdataBoot: start'
    # One run at a time (the task, and someone running mdata-boot.ps1 by
    # hand): the state file and COM2 are not shared.
    $lock = New-Object System.Threading.Mutex($false, 'Global\SmartDC.Mdata.Boot')
    try {
        $held = $lock.WaitOne(0)
    } catch [System.Threading.AbandonedMutexException] {
        $held = $true
    }
    if (-not $held) {
        Write-MdataLog 'Invoke-MdataBoot: another run is in progress; this one stops' -Warning
        $lock.Dispose()
        return 1
    }
    try {
        try {
            Initialize-MdataStateDir $StateDir
        } catch {
            Write-MdataLog "Invoke-MdataBoot: state directory ${StateDir}: $_" -Warning
            return 1
        }
        $previous = Read-MdataBootState $StateDir
        $password = $null
        try {
            $raw = Get-MdataBootMetadata -TimeoutSeconds $TimeoutSeconds -BinDir $BinDir
            $markers = Get-MdataBase64Markers -TimeoutSeconds $TimeoutSeconds -BinDir $BinDir
            $password = Read-MdataSecret -Key $script:PasswordKey -TimeoutSeconds $TimeoutSeconds -BinDir $BinDir
        } catch {
            Write-MdataLog "Invoke-MdataBoot: metadata not available, last boot's configuration left as it is: $_" -Warning
            return 1
        }
        $decodeNotes = New-Object 'System.Collections.Generic.List[string]'
        $metadata = ConvertFrom-MdataBase64Markers -Metadata $raw -Markers $markers -Notes $decodeNotes
        foreach ($n in $decodeNotes) { Write-MdataLog $n -Warning }
        $plan = Get-MdataBootPlan -Metadata $metadata -State $previous `
            -HasAdministratorPw ($null -ne $password -and $password.Length -gt 0) `
            -CurrentComputerName $env:COMPUTERNAME
        Write-MdataLog (Format-MdataBootPlan $plan)
        foreach ($n in $plan.Notes) { Write-MdataLog $n -Warning }
        $state = New-MdataBootState -Previous $previous -Plan $plan -Now ((Get-Date).ToString('o'))
        $ok = $true

        if ($plan.Password -eq 'set') {
            try {
                $account = Set-MdataAdministratorPassword -Password $password
                $state.password_instance = $plan.Instance
                Write-MdataLog "password of $account set from $script:PasswordKey"
            } catch {
                # Not recorded as done: tried again at the next boot.
                Write-MdataLog "could not set the Administrator's password: $($_.Exception.Message)" -Warning
                $ok = $false
            }
        }
        if ($null -ne $password) { $password.Dispose() }

        $restart = $false
        if ($plan.NameAction -eq 'rename') {
            try {
                Rename-Computer -NewName $plan.ComputerName -Force -ErrorAction Stop -WarningAction SilentlyContinue
                $state.computer_name = $plan.ComputerName
                $restart = $plan.Restart -and -not $NoRestart
                Write-MdataLog ("computer renamed from {0} to {1} ({2})" -f $env:COMPUTERNAME, $plan.ComputerName, $plan.NameSource)
            } catch {
                Write-MdataLog "could not rename the computer to $($plan.ComputerName): $_" -Warning
                $ok = $false
            }
        }
        # Saved before any restart: the next boot must not see a new instance.
        try { Save-MdataBootState $StateDir $state } catch { Write-MdataLog "could not save the state: $_" -Warning; $ok = $false }
        if ($restart) {
            Write-MdataLog 'restarting for the new computer name; scripts run at the next boot'
            Restart-Computer -Force
            if ($ok) { return 0 } else { return 1 }
        }

        if (-not $NoNetwork) {
            $net = Invoke-MdataNetwork -TimeoutSeconds $TimeoutSeconds -AdapterWaitSeconds $AdapterWaitSeconds `
                -BinDir $BinDir -LogPath $LogPath
            if ($net -ne 0) { $ok = $false }
        }

        try {
            $done = Set-MdataUserData $StateDir $metadata['user-data']
            Write-MdataLog "user-data: $done ($(Join-Path $StateDir 'user-data'))"
        } catch {
            Write-MdataLog "could not write user-data: $_" -Warning
            $ok = $false
        }

        foreach ($key in $plan.Scripts) {
            Write-MdataLog "${key}: running (time limit $ScriptTimeoutSeconds s)"
            $r = Invoke-MdataScript -Key $key -Content $metadata[$key] -Dir $StateDir -TimeoutSeconds $ScriptTimeoutSeconds
            $state.scripts[$key] = $r
            Write-MdataScriptResult $key $r
            if ($r.exit_code -ne 0) { $ok = $false }
            try { Save-MdataBootState $StateDir $state } catch { Write-MdataLog "could not save the state: $_" -Warning }
            if ($key -eq 'sdc:operator-script' -and $plan.StopAfterOperatorScript) {
                Write-MdataLog 'operator-script prepared an image: shutting down'
                Stop-Computer -Force
                return $(if ($ok) { 0 } else { 1 })
            }
        }
        Write-MdataLog ('Invoke-MdataBoot: done, {0}' -f $(if ($ok) { 'all steps worked' } else { 'with failures' }))
        if ($ok) { return 0 } else { return 1 }
    } finally {
        $lock.ReleaseMutex()
        $lock.Dispose()
    }
}

$exported = @(
    'Invoke-MdataBoot', 'Get-MdataBootPlan', 'Select-MdataComputerName',
    'ConvertTo-MdataComputerName', 'New-MdataBootState', 'Format-MdataBootPlan',
    'ConvertFrom-MdataBase64Markers', 'Get-MdataBase64Markers',
    'Get-MdataBootMetadata', 'Read-MdataSecret', 'Set-MdataAdministratorPassword',
    'Invoke-MdataScript',
    'Invoke-MdataNetwork', 'Get-MdataNetwork', 'Get-MdataValue',
    'Set-MdataAdapter', 'Wait-MdataAdapter', 'Invoke-MdataTool', 'Write-MdataLog'
)
Export-ModuleMember -Function $exported
