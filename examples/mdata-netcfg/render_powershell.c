/*
 * render_powershell.c: a Windows PowerShell (5.1 and 7) script applying
 * the model with the NetTCPIP and DnsClient cmdlets. Adapters are found by
 * MAC with a bounded wait (a driver may still be loading at boot). Every
 * step first reads the current state and changes only what differs, so
 * running it at every boot does not drop the network; a failing step is
 * reported and the script goes on, exiting 1 at the end.
 *
 * On-link routes use the next hop 0.0.0.0 / :: (Windows' way of saying
 * "no gateway"). DHCP is enabled only on a nic whose IPv4 side is DHCP
 * alone: Windows cannot mix DHCP and static IPv4 on one interface.
 */
#include "render.h"

#include <stdio.h>

/* The helpers the per-nic lines call. Kept in step with
 * bindings/powershell/SmartDC.Mdata.psm1, which does the same from -f json. */
static const char prologue[] =
    "param([int]$AdapterWaitSeconds = 60)\n"
    "$ErrorActionPreference = 'Stop'\n"
    "$script:rc = 0\n"
    "\n"
    "function Invoke-MdataStep([string]$What, [scriptblock]$Do) {\n"
    "    try { & $Do } catch {\n"
    "        Write-Warning (\"mdata-netcfg: failed: {0}: {1}\" -f $What, $_)\n"
    "        $script:rc = 1\n"
    "    }\n"
    "}\n"
    "\n"
    "function Get-MdataAdapter([string]$Mac) {\n"
    "    $deadline = (Get-Date).AddSeconds($AdapterWaitSeconds)\n"
    "    while ($true) {\n"
    "        $a = Get-NetAdapter -ErrorAction SilentlyContinue |\n"
    "            Where-Object { $_.MacAddress -eq $Mac } |\n"
    "            Select-Object -First 1\n"
    "        if ($null -ne $a) { return $a }\n"
    "        if ((Get-Date) -ge $deadline) { return $null }\n"
    "        Start-Sleep -Seconds 2\n"
    "    }\n"
    "}\n"
    "\n"
    "function Set-MdataInterface([int]$Index, [string]$Family, [hashtable]$Want) {\n"
    "    $cur = Get-NetIPInterface -InterfaceIndex $Index -AddressFamily $Family\n"
    "    $set = @{}\n"
    "    foreach ($k in $Want.Keys) {\n"
    "        $p = if ($k -eq 'NlMtuBytes') { 'NlMtu' } else { $k }\n"
    "        if (\"$($cur.$p)\" -ne \"$($Want[$k])\") { $set[$k] = $Want[$k] }\n"
    "    }\n"
    "    if ($set.Count -gt 0) {\n"
    "        Set-NetIPInterface -InterfaceIndex $Index -AddressFamily $Family @set\n"
    "    }\n"
    "}\n"
    "\n"
    "function Set-MdataAddresses([int]$Index, [string]$Family, [string[]]$Want) {\n"
    "    $have = @(Get-NetIPAddress -InterfaceIndex $Index -AddressFamily $Family `\n"
    "        -PrefixOrigin Manual -ErrorAction SilentlyContinue)\n"
    "    foreach ($a in $have) {\n"
    "        if ($Want -notcontains (\"{0}/{1}\" -f $a.IPAddress, $a.PrefixLength)) {\n"
    "            Remove-NetIPAddress -InputObject $a -Confirm:$false\n"
    "        }\n"
    "    }\n"
    "    foreach ($w in $Want) {\n"
    "        $ip, $len = $w.Split('/')\n"
    "        $same = $have | Where-Object {\n"
    "            $_.IPAddress -eq $ip -and $_.PrefixLength -eq [int]$len }\n"
    "        if ($null -eq $same) {\n"
    "            New-NetIPAddress -InterfaceIndex $Index -IPAddress $ip `\n"
    "                -PrefixLength ([int]$len) | Out-Null\n"
    "        }\n"
    "    }\n"
    "}\n"
    "\n"
    "function Set-MdataRoute([int]$Index, [string]$Prefix, [string]$NextHop) {\n"
    "    $have = @(Get-NetRoute -InterfaceIndex $Index -DestinationPrefix $Prefix `\n"
    "        -ErrorAction SilentlyContinue)\n"
    "    foreach ($r in $have) {\n"
    "        if ($r.NextHop -ne $NextHop) {\n"
    "            Remove-NetRoute -InputObject $r -Confirm:$false\n"
    "        }\n"
    "    }\n"
    "    if ($null -eq ($have | Where-Object { $_.NextHop -eq $NextHop })) {\n"
    "        New-NetRoute -InterfaceIndex $Index -DestinationPrefix $Prefix `\n"
    "            -NextHop $NextHop | Out-Null\n"
    "    }\n"
    "}\n"
    "\n"
    "function Set-MdataDns([int]$Index, [string[]]$Servers, [string]$Suffix) {\n"
    "    $cur = @(Get-DnsClientServerAddress -InterfaceIndex $Index |\n"
    "        ForEach-Object { $_.ServerAddresses })\n"
    "    if (($cur -join ',') -ne ($Servers -join ',')) {\n"
    "        if ($Servers.Count -gt 0) {\n"
    "            Set-DnsClientServerAddress -InterfaceIndex $Index `\n"
    "                -ServerAddresses $Servers\n"
    "        } else {\n"
    "            Set-DnsClientServerAddress -InterfaceIndex $Index " 
    "-ResetServerAddresses\n"
    "        }\n"
    "    }\n"
    "    if ((Get-DnsClient -InterfaceIndex $Index).ConnectionSpecificSuffix " 
    "-ne $Suffix) {\n"
    "        Set-DnsClient -InterfaceIndex $Index -ConnectionSpecificSuffix " 
    "$Suffix\n"
    "    }\n"
    "}\n";

/* A PowerShell single-quoted string: ' doubles. */
static void ps_quote(nc_buf_t *b, const char *text)
{
    const char *p;

    nc_buf_puts(b, "'");
    for (p = text; *p != '\0'; p++) {
        if (*p == '\'')
            nc_buf_puts(b, "''");
        else
            nc_buf_add(b, p, 1);
    }
    nc_buf_puts(b, "'");
}

/* @('a', 'b') of the static addresses of one family, with prefixes. */
static void addr_list(nc_buf_t *b, const nc_iface_t *ifc, int family)
{
    char t[MDATA_IP_TEXT_MAX];
    size_t i, n = 0;

    nc_buf_puts(b, "@(");
    for (i = 0; i < ifc->naddr; i++) {
        if (ifc->addr[i].family != family)
            continue;
        nc_buf_puts(b, n++ ? ", " : "");
        ps_quote(b, nc_ip_text(&ifc->addr[i], 1, t));
    }
    nc_buf_puts(b, ")");
}

static void step_open(nc_buf_t *b, const char *what)
{
    nc_buf_puts(b, "    Invoke-MdataStep ");
    ps_quote(b, what);
    nc_buf_puts(b, " { ");
}

static void route(nc_buf_t *b, const char *dst, const char *via)
{
    char what[2 * MDATA_IP_TEXT_MAX + 16];

    snprintf(what, sizeof(what), "route %s via %s", dst, via);
    step_open(b, what);
    nc_buf_puts(b, "Set-MdataRoute $i ");
    ps_quote(b, dst);
    nc_buf_puts(b, " ");
    ps_quote(b, via);
    nc_buf_puts(b, " }\n");
}

static void iface(const nc_model_t *m, const nc_iface_t *ifc, nc_buf_t *b)
{
    char mac[NC_MAC_TEXT], t[MDATA_IP_TEXT_MAX], g[MDATA_IP_TEXT_MAX];
    size_t n4 = nc_iface_count_family(ifc, MDATA_AF_INET);
    int dhcp = ifc->dhcp4 && n4 == 0;
    size_t i;

    /* Windows prints MACs as 90-B8-D0-AE-64-51. */
    for (i = 0; i < 6; i++)
        snprintf(mac + 3 * i, sizeof(mac) - 3 * i, "%02X%s", ifc->macb[i],
                 i < 5 ? "-" : "");
    nc_buf_printf(b, "\n# SmartOS nic %s%s, MAC %s\n", ifc->name,
                  ifc->primary ? " (primary)" : "", ifc->mac);
    nc_buf_puts(b, "$a = Get-MdataAdapter ");
    ps_quote(b, mac);
    nc_buf_puts(b, "\nif ($null -eq $a) {\n"
                   "    Write-Warning \"mdata-netcfg: no adapter with MAC ");
    nc_buf_printf(b, "%s (nic %s) after $AdapterWaitSeconds s\"\n", mac,
                  ifc->name);
    nc_buf_puts(b, "    $script:rc = 1\n} else {\n    $i = $a.ifIndex\n");
    if (ifc->mtu != 0) {
        nc_buf_printf(b, "    foreach ($f in 'IPv4', 'IPv6') {\n"
                         "        Invoke-MdataStep \"$f mtu\" "
                         "{ Set-MdataInterface $i $f @{ NlMtuBytes = %u } }\n"
                         "    }\n",
                      ifc->mtu);
    }
    step_open(b, dhcp ? "IPv4 dhcp" : "IPv4 static");
    nc_buf_printf(b, "Set-MdataInterface $i 'IPv4' @{ Dhcp = '%s' } }\n",
                  dhcp ? "Enabled" : "Disabled");
    if (ifc->dhcp4 && !dhcp)
        nc_buf_puts(b, "    # sdc:nics asks for dhcp besides static IPv4: "
                       "Windows cannot mix them; static wins\n");
    step_open(b, "IPv6 router discovery");
    nc_buf_printf(b, "Set-MdataInterface $i 'IPv6' @{ RouterDiscovery = "
                     "'%s' } }\n",
                  ifc->ipv6_auto ? "Enabled" : "Disabled");
    if (!dhcp) {
        step_open(b, "IPv4 addresses");
        nc_buf_puts(b, "Set-MdataAddresses $i 'IPv4' ");
        addr_list(b, ifc, MDATA_AF_INET);
        nc_buf_puts(b, " }\n");
    }
    step_open(b, "IPv6 addresses");
    nc_buf_puts(b, "Set-MdataAddresses $i 'IPv6' ");
    addr_list(b, ifc, MDATA_AF_INET6);
    nc_buf_puts(b, " }\n");
    if (ifc->has_gw4)
        route(b, "0.0.0.0/0", nc_ip_text(&ifc->gw4, 0, g));
    if (ifc->has_gw6)
        route(b, "::/0", nc_ip_text(&ifc->gw6, 0, g));
    for (i = 0; i < ifc->nroute; i++) {
        const nc_route_t *r = &ifc->route[i];
        int is6 = r->dst.family == MDATA_AF_INET6;

        route(b, nc_ip_text(&r->dst, 1, t),
              r->onlink ? (is6 ? "::" : "0.0.0.0")
                        : nc_ip_text(&r->via, 0, g));
    }
    if (nc_model_dns_iface(m) == ifc) {
        step_open(b, "DNS");
        nc_buf_puts(b, "Set-MdataDns $i @(");
        for (i = 0; i < m->ndns; i++) {
            nc_buf_puts(b, i ? ", " : "");
            ps_quote(b, nc_ip_text(&m->dns[i], 0, t));
        }
        nc_buf_puts(b, ") ");
        ps_quote(b, m->domain);
        nc_buf_puts(b, " }\n");
    }
    nc_buf_puts(b, "}\n");
}

int nc_render_powershell(const nc_model_t *m, nc_files_t *out)
{
    nc_buf_t b;
    size_t i;

    nc_buf_init(&b);
    nc_buf_printf(&b, "# %s\n", NC_HEADER);
    nc_buf_puts(&b, "# Apply with: powershell.exe -NoProfile "
                    "-ExecutionPolicy Bypass -File mdata-network.ps1\n");
    nc_buf_puts(&b, prologue);
    for (i = 0; i < m->niface; i++)
        iface(m, &m->iface[i], &b);
    if (m->hostname[0] != '\0') {
        nc_buf_puts(&b, "\n# sdc:hostname is ");
        nc_buf_puts(&b, m->hostname);
        nc_buf_puts(&b, "; renaming a Windows computer needs a reboot, "
                        "so it is left to the image's own setup.\n");
    }
    nc_buf_puts(&b, "exit $script:rc\n");
    return nc_files_add(out, "mdata-network.ps1", 0644, &b);
}
