# Test-BootPlan.ps1 [CASES]: run the first-boot rules of SmartDC.Mdata
# (Get-MdataBootPlan, New-MdataBootState, ConvertFrom-MdataBase64Markers)
# against boot-plan-cases.json.
# The functions under test are pure, so any PowerShell runs this: Windows
# PowerShell 5.1, or pwsh on Linux (test_windows.py runs it when pwsh is
# on PATH). Prints one line per failure and "N passed, N failed"; exits 1
# on any failure.
param([string]$Cases = (Join-Path $PSScriptRoot 'boot-plan-cases.json'))
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0
Import-Module (Join-Path $PSScriptRoot '../../bindings/powershell/SmartDC.Mdata.psm1') -Force

$raw = [System.IO.File]::ReadAllText($Cases)
$uuid = ($raw | ConvertFrom-Json).uuid
$doc = $raw.Replace('"@uuid"', '"' + $uuid + '"') | ConvertFrom-Json

function ConvertTo-Table($Object) {
    $t = @{}
    if ($null -ne $Object) {
        foreach ($p in $Object.PSObject.Properties) { $t[$p.Name] = $p.Value }
    }
    return $t
}

function Get-Case($Case, [string]$Name) {
    # A field of a case (or of a result: a dictionary or an object).
    if ($Case -is [System.Collections.IDictionary]) { return $Case[$Name] }
    $p = $Case.PSObject.Properties[$Name]
    if ($null -eq $p) { return $null }
    return $p.Value
}

function Test-Same($Want, $Got) {
    # An empty list: Windows PowerShell 5.1's ConvertFrom-Json reads [] as $null.
    if ($Got -is [array] -and $Got.Count -eq 0 -and
        ($null -eq $Want -or ($Want -is [array] -and $Want.Count -eq 0))) { return $true }
    if ($null -eq $Want) { return $null -eq $Got }
    if ($Want -is [bool]) { return ($Got -is [bool]) -and $Got -eq $Want }
    if ($Want -is [string]) { return ($Got -is [string]) -and $Got -ceq $Want }
    if ($Want -is [array]) {
        $g = @($Got)
        return $g.Count -eq $Want.Count -and (($g -join "`n") -ceq ($Want -join "`n"))
    }
    if ($Want -is [System.Management.Automation.PSCustomObject]) {
        return (ConvertTo-Json $Want -Compress -Depth 5) -ceq (ConvertTo-Json $Got -Compress -Depth 5)
    }
    return $Got -eq $Want
}

$passed = 0
$failed = 0
function Test-Fields([string]$Name, $Expect, $Actual) {
    $bad = @()
    foreach ($p in $Expect.PSObject.Properties) {
        $got = Get-Case $Actual $p.Name
        if (-not (Test-Same $p.Value $got)) {
            $bad += ('{0}: want {1}, got {2}' -f $p.Name,
                (ConvertTo-Json $p.Value -Compress -Depth 5), (ConvertTo-Json $got -Compress -Depth 5))
        }
    }
    return $bad
}

function Test-Notes($Case, $Notes) {
    $bad = @()
    foreach ($n in @(Get-Case $Case 'notes')) {
        if ($null -eq $n) { continue }
        if (-not @($Notes | Where-Object { $_.Contains($n) })) { $bad += "no note containing '$n'" }
    }
    if ((Get-Case $Case 'no_notes') -and @($Notes).Count -gt 0) { $bad += "notes: $($Notes -join '; ')" }
    return $bad
}

foreach ($c in $doc.plan) {
    $has = Get-Case $c 'has_password'
    $plan = Get-MdataBootPlan -Metadata (ConvertTo-Table $c.metadata) `
        -HasAdministratorPw ([bool]$has) -State (Get-Case $c 'state') `
        -CurrentComputerName ([string](Get-Case $c 'current'))
    $bad = @(Test-Fields $c.name $c.expect $plan) + @(Test-Notes $c $plan.Notes)
    if ((Format-MdataBootPlan $plan) -notmatch '^plan: instance ') { $bad += 'Format-MdataBootPlan' }
    if ($bad.Count -eq 0) { $passed++ } else {
        $failed++
        Write-Output ("FAIL plan: {0}: {1}" -f $c.name, ($bad -join '; '))
    }
}

foreach ($c in $doc.state) {
    $s = New-MdataBootState -Previous (Get-Case $c 'previous') -Plan $c.plan -Now $c.now
    $bad = @(Test-Fields $c.name $c.expect $s)
    if ($bad.Count -eq 0) { $passed++ } else {
        $failed++
        Write-Output ("FAIL state: {0}: {1}" -f $c.name, ($bad -join '; '))
    }
}

foreach ($c in $doc.base64) {
    $notes = New-Object 'System.Collections.Generic.List[string]'
    $out = ConvertFrom-MdataBase64Markers -Metadata (ConvertTo-Table $c.metadata) `
        -Markers (ConvertTo-Table $c.markers) -Notes $notes
    $bad = @(Test-Fields $c.name $c.expect $out) + @(Test-Notes $c $notes.ToArray())
    if ($bad.Count -eq 0) { $passed++ } else {
        $failed++
        Write-Output ("FAIL base64: {0}: {1}" -f $c.name, ($bad -join '; '))
    }
}

Write-Output ("{0} passed, {1} failed" -f $passed, $failed)
if ($failed -gt 0) { exit 1 }
exit 0
