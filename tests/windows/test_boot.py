"""The Windows first boot of the SmartDC.Mdata module (Invoke-MdataBoot).

PowerShell does not run here, so the module is tested through what does:
- the .exe tools under wine against mdata-emu over COM2: every key the
  boot reads (taken from the module's source), fetched with the module's
  own arguments, gives the value and exit code the module expects;
- the module's syntax tree (tree-sitter-powershell, psfacts.cjs): the plan
  functions are pure, every command and parameter used exists, the
  password never reaches a log, an output or a command line, the boot's
  steps come in the documented order, the rule cases cover the plan;
- Test-BootPlan.ps1, the rules as cases, when pwsh is on PATH."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import link_com2, node_command, run_exe

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")
PSDIR = os.path.join(TOP, "bindings", "powershell")
MODULE = os.path.join(PSDIR, "SmartDC.Mdata.psm1")
CASES = os.path.join(HERE, "boot-plan-cases.json")

with open(MODULE, encoding="utf-8") as _f:
    MODULE_TEXT = _f.read()


def module_list(name):
    """The strings of `$script:NAME = @(...)` in the module."""
    m = re.search(r"^\$script:%s = @\(([^)]*)\)" % name, MODULE_TEXT, re.M)
    assert m, name
    return re.findall(r"'([^']*)'", m.group(1))


def module_scalar(name):
    m = re.search(r"^\$script:%s = '([^']*)'" % name, MODULE_TEXT, re.M)
    assert m, name
    return m.group(1)


BOOT_KEYS = module_list("BootKeys")
SCRIPT_KEYS = module_list("BootScriptKeys")
PASSWORD_KEY = module_scalar("PasswordKey")

UUID = "8d2f6a44-1c3b-4e5f-9a7d-2b6c8e0f1a3d"
PASSWORD = 'p@ss w"rd \\ \u00e9t\u00e9 $env:X'
USER_SCRIPT = ("#requires -Version 5.1\r\nWrite-Output 'caf\u00e9'\r\n"
               "exit 3\r\n")
OPERATOR_SCRIPT = "Write-Output operator\n\n"
USER_DATA = '{"app": "demo", "port": 8080}'
VM = {
    "uuid": UUID,
    "hostname": "guest-test-01",
    "customer_metadata": {"hostname": "web01.example.com",
                          "user-script": USER_SCRIPT,
                          "user-data": USER_DATA},
    "internal_metadata": {"operator-script": OPERATOR_SCRIPT,
                          "administrator_pw": PASSWORD},
}
# What Get-MdataValue returns for each key: mdata-get.exe's output less the
# one LF it adds to a value that does not end in one.
EXPECTED = {
    "sdc:uuid": UUID,
    "hostname": "web01.example.com",
    "sdc:hostname": "guest-test-01",
    "user-data": USER_DATA,
    "sdc:operator-script": OPERATOR_SCRIPT[:-1],
    "user-script": USER_SCRIPT[:-1],
    PASSWORD_KEY: PASSWORD,
}


# ---- the tools fetch what the boot reads --------------------------------

def test_module_reads_the_documented_keys():
    assert BOOT_KEYS == ["sdc:uuid", "hostname", "sdc:hostname", "user-data",
                         "sdc:operator-script", "user-script"]
    assert SCRIPT_KEYS == ["sdc:operator-script", "user-script"]
    assert PASSWORD_KEY == "administrator_pw"


def module_get_args(key):
    # Get-MdataValue runs mdata-get.exe with these arguments; check the
    # module still does before using them.
    assert "-Arguments @('-t', \"$TimeoutSeconds\", '--', $Key)" in MODULE_TEXT
    return ["-t", "60", "--", key]


def get_value(tmp_path, key):
    """Get-MdataValue's result: (exit code, value less one added LF)."""
    r = run_exe(tmp_path, "mdata-get", *module_get_args(key))
    out = r.out.decode("utf-8")
    if out.endswith("\n"):
        out = out[:-1]
    return r.code, out, r


def test_boot_keys_fetched_as_the_module_reads_them(com2, write_vm, tmp_path):
    com2(write_vm(VM))
    for key in BOOT_KEYS + [PASSWORD_KEY]:
        code, value, r = get_value(tmp_path, key)
        assert (code, value) == (0, EXPECTED[key]), (key, r)
        assert r.err == "", (key, r)


def test_password_bytes_exact_and_never_on_stderr(com2, write_vm, tmp_path):
    com2(write_vm(VM))
    r = run_exe(tmp_path, "mdata-get", *module_get_args(PASSWORD_KEY))
    assert (r.code, r.out) == (0, PASSWORD.encode("utf-8") + b"\n"), r
    # Even the verbose trace the module never asks for keeps it off stderr
    # as text (it shows the base64 frames only).
    r = run_exe(tmp_path, "mdata-get", "-v", "--", PASSWORD_KEY)
    assert r.code == 0 and PASSWORD not in r.err, r


def test_absent_keys_exit_1(com2, write_vm, tmp_path):
    # A VM with no host name, scripts or password (vmadm always gives a VM
    # both metadata objects; without them the agent answers an error):
    # Get-MdataValue gives $null (exit 1) for each, and the plan falls back
    # to the uuid.
    com2(write_vm({"uuid": UUID, "customer_metadata": {},
                   "internal_metadata": {}}))
    for key in BOOT_KEYS + [PASSWORD_KEY]:
        code, value, r = get_value(tmp_path, key)
        if key == "sdc:uuid":
            assert (code, value) == (0, UUID), r
        else:
            assert (code, r.out) == (1, b""), (key, r)
            assert r.err == "No metadata for '%s'\n" % key, (key, r)


BASE64_EXEMPT = module_list("Base64Exempt")


def marker_names():
    """The markers Get-MdataBase64Markers looks for."""
    return ["base64_all", "base64_keys"] + [
        "b64-" + k for k in BOOT_KEYS if k not in BASE64_EXEMPT]


def listed_markers(tmp_path):
    """Get-MdataBase64Markers' first step: mdata-list.exe with the module's
    arguments; the marker names it lists, in the module's order."""
    assert ("-Name 'mdata-list.exe' -BinDir $BinDir `\n"
            "        -Arguments @('-t', \"$TimeoutSeconds\")") in MODULE_TEXT
    r = run_exe(tmp_path, "mdata-list", "-t", "60")
    assert r.code == 0, r
    listed = [line.rstrip("\r") for line in r.out.decode("utf-8").split("\n")]
    return [n for n in marker_names() if n in listed]


def test_base64_markers_found_with_one_list(com2, write_vm, tmp_path):
    assert "user-script" in BASE64_EXEMPT and "hostname" not in BASE64_EXEMPT
    vm = {"uuid": UUID, "internal_metadata": {},
          "customer_metadata": {"hostname": "d2ViMDE=",
                                "base64_keys": "hostname",
                                "b64-user-data": "true",
                                "b64-user-script": "true",
                                "user-data": "eyJhIjogMX0="}}
    com2(write_vm(vm))
    # b64-user-script is not asked for: user-script is exempt.
    assert listed_markers(tmp_path) == ["base64_keys", "b64-user-data"]
    assert get_value(tmp_path, "base64_keys")[:2] == (0, "hostname")
    assert get_value(tmp_path, "b64-user-data")[:2] == (0, "true")
    # The values come raw; ConvertFrom-MdataBase64Markers decodes them.
    assert get_value(tmp_path, "hostname")[:2] == (0, "d2ViMDE=")


def test_no_markers_no_extra_reads(com2, write_vm, tmp_path):
    # A VM with no customer key at all: KEYS answers an empty list, so no
    # marker is read one by one.
    com2(write_vm({"uuid": UUID, "customer_metadata": {},
                   "internal_metadata": {}}))
    r = run_exe(tmp_path, "mdata-list", "-t", "60")
    assert (r.code, r.out) == (0, b""), r
    assert listed_markers(tmp_path) == []


def test_service_down_every_boot_key_exit_2(tmp_path):
    # Get-MdataValue throws on exit 2: Invoke-MdataBoot then changes
    # nothing. COM2 with nobody behind it, bounded by -t.
    link_com2(None)
    r = run_exe(tmp_path, "mdata-get", "-t", "2", "--", BOOT_KEYS[0])
    assert r.code == 2 and r.out == b"", r


# ---- the module's syntax tree -------------------------------------------

def node_path():
    p = os.environ.get("MDATA_PSCHECK_NODE_PATH", "")
    if not shutil.which("node") or not os.path.isdir(p):
        pytest.skip("node or the npm packages web-tree-sitter and "
                    "tree-sitter-powershell missing (setup.sh installs "
                    "them with npm): structural checks skipped")
    return p


# Samples the checks must flag, parsed in the same node run (loading the
# grammar costs seconds of CPU: one run for every file).
LIVE = {
    "impure.psm1": "function Get-MdataBootPlan {\n"
                   "    $n = $env:COMPUTERNAME\n"
                   "    Rename-Computer -NewName $n\n}\n",
    "leak.psm1": 'function F { $password = 1; Write-MdataLog "pw $password" }\n',
    "typo.ps1": "function F { [CmdletBinding()] param([int]$Seconds) }\n"
                "F -Secnds 3\nRename-Computr -NewName x\n"
                "Rename-Computer -NewNam x\n",
}
_facts = {}
_aliases = {}


@pytest.fixture(scope="module", autouse=True)
def all_facts(tmp_path_factory):
    """psfacts.cjs over the module, the scripts and the LIVE samples."""
    d = tmp_path_factory.mktemp("psfacts")
    for name, text in LIVE.items():
        (d / name).write_text(text)
    paths = ps_sources() + [str(d / n) for n in LIVE]
    for n in LIVE:
        _aliases[n] = str(d / n)
    if shutil.which("node") and os.path.isdir(
            os.environ.get("MDATA_PSCHECK_NODE_PATH", "")):
        r = subprocess.run(node_command() + [os.path.join(HERE, "psfacts.cjs")] + paths,
                           capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, NODE_PATH=node_path()))
        assert r.returncode == 0, r.stderr
        _facts.update(json.loads(r.stdout))
    yield


def facts(path):
    node_path()
    return _facts[_aliases.get(path, path)]


def functions(path=MODULE):
    return {f["name"]: f for f in facts(path)["functions"]}


PURE = ["Get-MdataField", "Test-MdataTrue", "Test-MdataBase64Wanted",
        "ConvertFrom-MdataBase64Markers", "ConvertTo-MdataComputerName",
        "Select-MdataComputerName", "Test-MdataPowerShellScript",
        "Get-MdataBootPlan", "Format-MdataBootPlan", "New-MdataBootState"]


def test_plan_functions_are_pure():
    fns = functions()
    for name in PURE:
        f = fns[name]
        called = {c["name"] for c in f["commands"]}
        assert called <= set(PURE) | {"New-Object"}, (name, called)
        for c in f["commands"]:
            if c["name"] == "New-Object":
                assert ("System.Collections.Generic.List[string]" in c["text"] or
                        "System.Text.UTF8Encoding" in c["text"]), c
        assert set(f["static_types"]) <= {"string", "regex", "Convert"}, name
        for v in f["variables"]:
            low = v.lower()
            assert not low.startswith(("$env:", "$global:")), (name, v)
            if low.startswith("$script:"):
                assert v in ("$script:BootScriptKeys", "$script:Base64Exempt",
                             "$script:MaxComputerName"), (name, v)


def test_purity_check_is_live():
    # The same facts flag a plan function that reads the machine.
    f = functions("impure.psm1")["Get-MdataBootPlan"]
    assert {c["name"] for c in f["commands"]} == {"Rename-Computer"}
    assert "$env:COMPUTERNAME" in f["variables"]


# Cmdlets the module and the installer call, with the parameters they
# are documented to take (Windows PowerShell 5.1 and its NetTCPIP,
# DnsClient, NetAdapter, CimCmdlets, LocalAccounts and ScheduledTasks
# modules); a misspelt command or parameter fails the test below.
CMDLETS = {
    "Add-Content": {"LiteralPath", "Value", "Encoding"},
    "ConvertFrom-Json": set(), "ConvertTo-Json": {"Depth", "Compress"},
    "Copy-Item": {"LiteralPath", "Destination", "Force"},
    "Export-ModuleMember": {"Function"},
    "ForEach-Object": set(), "Where-Object": set(), "Out-Null": set(),
    "Get-CimInstance": {"ClassName", "Filter"},
    "Get-Command": {"Name"},
    "Get-Content": {"LiteralPath", "Tail"},
    "Get-Date": {"Format"},
    "Get-DnsClient": {"InterfaceIndex"},
    "Get-DnsClientServerAddress": {"InterfaceIndex"},
    "Get-NetAdapter": set(),
    "Get-NetIPAddress": {"InterfaceIndex", "AddressFamily", "PrefixOrigin"},
    "Get-NetIPInterface": {"InterfaceIndex", "AddressFamily"},
    "Get-NetRoute": {"InterfaceIndex", "DestinationPrefix"},
    "Get-ScheduledTask": {"TaskName"},
    "Import-Module": {"Force"},
    "Join-Path": set(),
    "New-Item": {"ItemType", "Path", "Force"},
    "New-NetIPAddress": {"InterfaceIndex", "IPAddress", "PrefixLength"},
    "New-NetRoute": {"InterfaceIndex", "DestinationPrefix", "NextHop"},
    "New-Object": set(),
    "New-ScheduledTaskAction": {"Execute", "Argument"},
    "New-ScheduledTaskPrincipal": {"UserId", "LogonType", "RunLevel"},
    "New-ScheduledTaskSettingsSet": {"ExecutionTimeLimit",
                                     "AllowStartIfOnBatteries",
                                     "DontStopIfGoingOnBatteries",
                                     "StartWhenAvailable"},
    "New-ScheduledTaskTrigger": {"AtStartup"},
    "New-TimeSpan": {"Minutes"},
    "Register-ScheduledTask": {"TaskName", "Action", "Trigger", "Principal",
                               "Settings", "Force"},
    "Remove-NetIPAddress": {"InputObject"},
    "Remove-NetRoute": {"InputObject"},
    "Remove-Item": {"LiteralPath", "Force"},
    "Rename-Computer": {"NewName", "Force"},
    "Restart-Computer": {"Force"},
    "Select-Object": {"First"},
    "Set-Acl": {"LiteralPath", "AclObject"},
    "Set-DnsClient": {"InterfaceIndex", "ConnectionSpecificSuffix"},
    "Set-DnsClientServerAddress": {"InterfaceIndex", "ServerAddresses",
                                   "ResetServerAddresses"},
    "Set-LocalUser": {"SID", "Password"},
    "Set-NetIPInterface": {"InterfaceIndex", "AddressFamily"},
    "Set-StrictMode": {"Version"},
    "Split-Path": {"Parent"},
    "Start-Process": {"FilePath", "ArgumentList", "NoNewWindow", "PassThru",
                      "RedirectStandardOutput", "RedirectStandardError",
                      "Wait"},
    "Start-Sleep": {"Seconds"},
    "Stop-Computer": {"Force"},
    "Test-Path": {"LiteralPath"},
    "Unregister-ScheduledTask": {"TaskName"},
    "Write-Host": set(), "Write-Output": set(), "Write-Verbose": set(),
    "Write-Warning": set(),
}
COMMON = {"Verbose", "Debug", "ErrorAction", "WarningAction",
          "InformationAction", "ErrorVariable", "WarningVariable",
          "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm"}


def ps_sources():
    return sorted(os.path.join(PSDIR, n) for n in os.listdir(PSDIR)
                  if n.endswith((".ps1", ".psm1")))


def command_problems(path, seen):
    """Unknown commands and parameters in one file, as messages."""
    own = functions()
    f = facts(path)
    local = {fn["name"]: fn for fn in f["functions"]}
    calls = [c for fn in f["functions"] for c in fn["commands"]]
    calls += f["top"]["commands"]
    where = os.path.basename(path)
    problems = []
    for c in calls:
        name = c["name"]
        seen.add(name)
        target = local.get(name) or own.get(name)
        if target is not None:
            allowed = {p.lower() for p in target["parameters"]}
            if target["advanced"]:
                allowed |= {p.lower() for p in COMMON}
        elif name in CMDLETS:
            allowed = {p.lower() for p in CMDLETS[name] | COMMON}
        else:
            problems.append("%s:%d: unknown command %s" % (where, c["line"], name))
            continue
        for p in c["parameters"]:
            if p.lower() not in allowed:
                problems.append("%s:%d: %s has no -%s" % (where, c["line"], name, p))
    return problems


def test_every_command_and_parameter_exists():
    seen = set()
    problems = []
    for path in ps_sources():
        problems += command_problems(path, seen)
    assert problems == []
    assert {"Rename-Computer", "Set-LocalUser", "Invoke-MdataBoot",
            "Register-ScheduledTask"} <= seen


def test_command_check_is_live():
    assert command_problems("typo.ps1", set()) == [
        "typo.ps1:2: F has no -Secnds",
        "typo.ps1:3: unknown command Rename-Computr",
        "typo.ps1:4: Rename-Computer has no -NewNam",
    ]


def test_exported_functions_exist():
    names = re.search(r"\$exported = @\(([^)]*)\)", MODULE_TEXT, re.S)
    exported = re.findall(r"'([^']+)'", names.group(1))
    fns = functions()
    for name in exported:
        assert name in fns, name
    for name in ("Invoke-MdataBoot", "Get-MdataBootPlan",
                 "ConvertTo-MdataComputerName", "New-MdataBootState"):
        assert name in exported


SECRET_VARS = {"$password", "$plain", "$secure", "$bstr"}
EMITTERS = {"Write-MdataLog", "Write-Host", "Write-Output", "Write-Verbose",
            "Write-Warning", "Write-Error", "Write-Information",
            "Add-Content", "Set-Content", "Out-File", "Start-Process",
            "Invoke-MdataTool", "Invoke-MdataScript"}


def test_password_never_logged_or_on_a_command_line():
    fns = functions()
    for fn in fns.values():
        for c in fn["commands"]:
            if c["name"] in EMITTERS:
                leaked = {v.lower() for v in c["variables"]} & SECRET_VARS
                assert not leaked, (fn["name"], c["line"], c["name"], leaked)
    # The key is read by Read-MdataSecret alone, through Get-MdataValue
    # (a pipe), and turned into a SecureString there.
    assert MODULE_TEXT.count("'%s'" % PASSWORD_KEY) == 1
    boot = fns["Invoke-MdataBoot"]
    reads = [c for c in boot["commands"] if "$script:PasswordKey" in c["variables"]
             and c["name"] != "Write-MdataLog"]
    assert [c["name"] for c in reads] == ["Read-MdataSecret"]
    secret = fns["Read-MdataSecret"]
    assert {c["name"] for c in secret["commands"]} == {"Get-MdataValue", "New-Object"}
    assert "AppendChar" in MODULE_TEXT and "MakeReadOnly" in MODULE_TEXT
    # No tool output ever goes through a file.
    tool = fns["Invoke-MdataTool"]
    assert "Start-Process" not in {c["name"] for c in tool["commands"]}
    assert "GetTempFileName" not in MODULE_TEXT
    assert "RedirectStandardOutput = $true" in MODULE_TEXT
    # The plan gets a yes/no, never the value.
    assert fns["Get-MdataBootPlan"]["parameters"].count("HasAdministratorPw") == 1
    assert "$password" not in {v.lower() for v in fns["Get-MdataBootPlan"]["variables"]}
    set_pw = fns["Set-MdataAdministratorPassword"]
    assert "net" not in {c["name"].lower() for c in set_pw["commands"]}
    assert "ZeroFreeBSTR" in MODULE_TEXT


def test_secret_check_is_live():
    c = functions("leak.psm1")["F"]["commands"][0]
    assert c["name"] == "Write-MdataLog" and "$password" in c["variables"]


def test_boot_steps_in_documented_order():
    boot = functions()["Invoke-MdataBoot"]
    first = {}
    for c in boot["commands"]:
        first.setdefault(c["name"], c["offset"])
    order = ["Initialize-MdataStateDir", "Read-MdataBootState",
             "Get-MdataBootMetadata", "Get-MdataBase64Markers",
             "Read-MdataSecret", "ConvertFrom-MdataBase64Markers",
             "Get-MdataBootPlan",
             "New-MdataBootState", "Set-MdataAdministratorPassword",
             "Rename-Computer", "Save-MdataBootState", "Restart-Computer",
             "Invoke-MdataNetwork", "Set-MdataUserData", "Invoke-MdataScript",
             "Stop-Computer"]
    for name in order:
        assert name in first, name
    assert sorted(order, key=first.get) == order
    # Scripts run in the plan's order, each bounded, each recorded.
    run = [c for c in boot["commands"] if c["name"] == "Invoke-MdataScript"]
    assert len(run) == 1 and "TimeoutSeconds" in run[0]["parameters"]
    assert "foreach ($key in $plan.Scripts)" in MODULE_TEXT


def test_installer_registers_boot_at_startup_as_system():
    path = os.path.join(PSDIR, "Install-MdataBoot.ps1")
    f = facts(path)["top"]
    by_name = {c["name"]: c for c in f["commands"]}
    assert "AtStartup" in by_name["New-ScheduledTaskTrigger"]["parameters"]
    assert "'SYSTEM'" in by_name["New-ScheduledTaskPrincipal"]["text"]
    assert "ExecutionTimeLimit" in by_name["New-ScheduledTaskSettingsSet"]["parameters"]
    text = open(path, encoding="utf-8").read()
    files = re.findall(r"'([^']+\.(?:exe|ps1|psm1))'",
                       re.search(r"\$files = @\(([^)]*)\)", text, re.S).group(1))
    for name in files:
        if not name.endswith(".exe"):
            assert os.path.isfile(os.path.join(PSDIR, name)), name
    assert "mdata-boot.ps1" in files and "SmartDC.Mdata.psm1" in files


def test_task_arguments_are_parameters_of_its_script():
    # The task starts powershell.exe -File <script> <arguments> from a
    # format string: every -Name in it must be a parameter of that script,
    # or the task fails at every boot.
    path = os.path.join(PSDIR, "Install-MdataBoot.ps1")
    text = open(path, encoding="utf-8").read()
    checked = 0
    for script in ("mdata-boot.ps1", "mdata-network.ps1"):
        declared = {p.lower() for p in
                    facts(os.path.join(PSDIR, script))["top"]["parameters"]}
        assert declared, script
        m = re.search(r"\$script = Join-Path \$Destination '%s'\n"
                      r"\s*\$scriptArgs = '([^']*)'" % re.escape(script), text)
        assert m, script
        for name in re.findall(r"-(\w+)", m.group(1)):
            assert name.lower() in declared, (script, name)
            checked += 1
    assert checked >= 5


# ---- the rule cases ------------------------------------------------------

def plan_values(field):
    """The string values Get-MdataBootPlan assigns to $field."""
    m = re.search(r"function Get-MdataBootPlan \{(.*?)\n\}\n", MODULE_TEXT, re.S)
    return set(re.findall(r"\$%s = '([a-z-]+)'" % field, m.group(1)))


def test_cases_cover_every_plan_value():
    with open(CASES, encoding="utf-8") as f:
        doc = json.load(f)
    seen = {"NameAction": set(), "Password": set(), "NameSource": set(),
            "UserData": set()}
    for c in doc["plan"]:
        for k in seen:
            if k in c["expect"]:
                seen[k].add(c["expect"][k])
    assert seen["NameAction"] >= plan_values("nameAction") == {
        "none", "keep", "keep-local", "rename"}
    assert seen["Password"] >= plan_values("passwordAction") == {
        "no-instance", "absent", "done", "set"}
    assert seen["NameSource"] >= {"hostname", "sdc:hostname", "sdc:uuid"}
    assert seen["UserData"] >= {"write", "remove"}
    assert len(doc["plan"]) + len(doc["state"]) >= 30
    assert len(doc["base64"]) >= 10


def test_boot_plan_rules_under_powershell(tmp_path):
    pwsh = shutil.which("pwsh") or shutil.which("powershell")
    if not pwsh:
        pytest.skip("no PowerShell (pwsh) here: Test-BootPlan.ps1 not run; "
                    "the rule cases are checked structurally above")
    r = subprocess.run([pwsh, "-NoProfile", "-NonInteractive", "-File",
                        os.path.join(HERE, "Test-BootPlan.ps1")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^\d+ passed, 0 failed$", r.stdout, re.M), r.stdout
