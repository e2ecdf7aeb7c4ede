; Inno Setup script for Enclave on Windows: installs PyInstaller's one-folder build
; (installer/enclave.spec, built on Windows into build\bundle\dist\enclave) per user, with
; a Start-menu entry, an optional desktop icon and "Open with Enclave" for the document
; types it reads. NOT BUILT OR RUN HERE: written for a Windows build machine (see README).
;   pyinstaller --noconfirm --distpath build\bundle\dist installer\enclave.spec
;   iscc /DAppVersion=0.1.0 installer\windows\enclave.iss
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{5B1E0C4E-7F2A-4C71-9E1D-2C3A6F0E8B11}
AppName=Enclave
AppVersion={#AppVersion}
AppPublisher=Enclave developers
DefaultDirName={autopf}\Enclave
DefaultGroupName=Enclave
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Enclave-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\enclave.exe
ChangesAssociations=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\build\bundle\dist\enclave\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Enclave"; Filename: "{app}\enclave.exe"; Parameters: "gui"
Name: "{autodesktop}\Enclave"; Filename: "{app}\enclave.exe"; Parameters: "gui"; Tasks: desktopicon

[Registry]
; "Open with" for the types Enclave indexes; it never takes over the default program.
Root: HKA; Subkey: "Software\Classes\Applications\enclave.exe\shell\open\command"; ValueType: string; ValueData: """{app}\enclave.exe"" gui ""%1"""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.pdf\OpenWithList\enclave.exe"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.docx\OpenWithList\enclave.exe"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.epub\OpenWithList\enclave.exe"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.md\OpenWithList\enclave.exe"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.txt\OpenWithList\enclave.exe"; Flags: uninsdeletekey

[Run]
Filename: "{app}\enclave.exe"; Parameters: "gui"; Description: "{cm:LaunchProgram,Enclave}"; Flags: nowait postinstall skipifsilent
