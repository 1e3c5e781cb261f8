# Installs foxbridge from this source tree for the current user (Windows):
#
#   1. a virtual environment of its own in foxbridge's data folder (reused on a re-run),
#      with foxbridge installed into it from this tree;
#   2. the `foxbridge` command, in a folder added to the user's PATH;
#   3. the browser extension copied to a stable place in the data folder;
#   4. `foxbridge install`: the native host registered (HKCU registry keys) with every
#      Chromium-family browser found, the daemon's logon entry, and the daemon started.
#
# Any arguments are passed on to `foxbridge install` (for example --browser brave).
# Safe to run again: it changes only what is out of date. Undo with `foxbridge uninstall`.
#
#   powershell -ExecutionPolicy Bypass -File install\install.ps1

$ErrorActionPreference = 'Stop'

function Fail([string]$message) {
    Write-Host "foxbridge install: $message" -ForegroundColor Red
    exit 1
}

$sourceTree = Split-Path -Parent $PSScriptRoot
if (-not (Test-Path (Join-Path $sourceTree 'pyproject.toml')) -or
    -not (Test-Path (Join-Path $sourceTree 'extension'))) {
    Fail "run this script from foxbridge's source tree (install\install.ps1)."
}

# -- a Python 3.11 or newer, with its venv module --------------------------------------------

$pythonHint = 'Install Python 3.11 or newer from https://www.python.org/downloads/windows/ ' +
    '(tick "Add python.exe to PATH"), or run: winget install Python.Python.3.12'
$python = $null
$candidates = @()
if ($env:FOXBRIDGE_PYTHON) { $candidates += , @($env:FOXBRIDGE_PYTHON) }
$candidates += , @('py', '-3')
$candidates += , @('python')
foreach ($candidate in $candidates) {
    $exe = $candidate[0]
    $rest = @($candidate | Select-Object -Skip 1)
    if (-not (Get-Command $exe -ErrorAction SilentlyContinue)) { continue }
    # The Microsoft Store's python.exe stub prints nothing useful: ask for the real path.
    $found = & $exe @rest -c 'import sys; sys.version_info >= (3, 11) and print(sys.executable)' 2>$null
    if ($LASTEXITCODE -eq 0 -and $found) { $python = $found.Trim(); break }
}
if (-not $python) { Fail "foxbridge needs Python 3.11 or newer, and none was found. $pythonHint" }
& $python -c 'import venv, ensurepip' 2>$null
if ($LASTEXITCODE -ne 0) {
    Fail "$python has no 'venv' module. Reinstall Python from python.org with the default options."
}

# -- where things go (the same folders foxbridge itself uses) -------------------------------

if ($env:FOXBRIDGE_HOME) {
    $dataDir = Join-Path $env:FOXBRIDGE_HOME 'data'
} else {
    $dataDir = Join-Path $env:LOCALAPPDATA 'foxbridge'
}
$venv = Join-Path $dataDir 'venv'
$extension = Join-Path $dataDir 'extension'
$binDir = Join-Path $dataDir 'bin'
$shim = Join-Path $binDir 'foxbridge.cmd'
New-Item -ItemType Directory -Force -Path $dataDir | Out-Null

# -- the environment -------------------------------------------------------------------------

$venvPython = Join-Path $venv 'Scripts\python.exe'
if (Test-Path $venvPython) {
    Write-Host "· using the environment $venv"
} else {
    Write-Host "✓ creating the environment $venv"
    & $python -m venv $venv
    if ($LASTEXITCODE -ne 0) { Fail "could not create the environment $venv." }
}
Write-Host '✓ installing foxbridge into it (this takes a moment)'
& $venvPython -m pip install --quiet --disable-pip-version-check $sourceTree
if ($LASTEXITCODE -ne 0) { Fail "could not install foxbridge into $venv (see pip's message above)." }
$foxbridge = Join-Path $venv 'Scripts\foxbridge.exe'

# -- the command -------------------------------------------------------------------------------

New-Item -ItemType Directory -Force -Path $binDir | Out-Null
$shimText = "@`"$foxbridge`" %*`r`n"
if ((Test-Path $shim) -and ((Get-Content -Raw $shim) -eq $shimText)) {
    Write-Host "· $shim already up to date"
} else {
    [System.IO.File]::WriteAllText($shim, $shimText)
    Write-Host "✓ wrote $shim"
}
$userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
if (-not (($userPath -split ';') -contains $binDir)) {
    $newPath = if ($userPath) { "$userPath;$binDir" } else { $binDir }
    [Environment]::SetEnvironmentVariable('Path', $newPath, 'User')
    Write-Host "✓ added $binDir to your PATH (open a new terminal to use 'foxbridge')"
}

# -- the extension, copied to a place that stays put ------------------------------------------

$skip = @('node_modules', 'tools', 'package.json', 'package-lock.json', 'eslint.config.js')
$staging = Join-Path $dataDir '.extension.new'
if (Test-Path $staging) { Remove-Item -Recurse -Force $staging }
New-Item -ItemType Directory -Path $staging | Out-Null
Get-ChildItem -Path (Join-Path $sourceTree 'extension') |
    Where-Object { $skip -notcontains $_.Name -and -not $_.Name.StartsWith('.') } |
    ForEach-Object { Copy-Item -Recurse -Path $_.FullName -Destination $staging }
function Get-TreeHash([string]$folder) {
    Get-ChildItem -Recurse -File $folder | Sort-Object FullName | ForEach-Object {
        $_.FullName.Substring($folder.Length) + ':' + (Get-FileHash $_.FullName).Hash
    }
}
if ((Test-Path $extension) -and
    (((Get-TreeHash $staging) -join "`n") -eq ((Get-TreeHash $extension) -join "`n"))) {
    Remove-Item -Recurse -Force $staging
    Write-Host "· extension already up to date in $extension"
} else {
    if (Test-Path $extension) { Remove-Item -Recurse -Force $extension }
    Move-Item $staging $extension
    Write-Host "✓ copied the extension to $extension"
}

# -- registrations, autostart, daemon ----------------------------------------------------------

& $foxbridge install --program $venv --program $shim --program $extension @args
if ($LASTEXITCODE -ne 0) {
    Fail "'foxbridge install' failed (see above); 'foxbridge doctor' explains what is wrong."
}

Write-Host @"

foxbridge is installed. Last step: load the extension in your browser.

  1. Open the extensions page:
       Chrome, Chromium:  chrome://extensions
       Microsoft Edge:    edge://extensions
       Brave:             brave://extensions
       Vivaldi:           vivaldi://extensions
       Opera:             opera://extensions
  2. Turn on "Developer mode".
  3. Click "Load unpacked" and choose this folder:
       $extension
  4. Click the foxbridge icon and sign in to your Firefox Account.

Check everything with:   foxbridge doctor
Remove everything with:  foxbridge uninstall
"@
