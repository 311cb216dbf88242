Attribute VB_Name = "ClaimBook"
' ClaimBook buttons: one Sub per job. Each makes one RunPython call into the small Python
' module claimbook_button (addin/claimbook_button.py). That module needs only Python and
' xlwings: it imports the real jobs (claimbook_jobs, which needs the claimbook package) inside
' a try block and, when they cannot be imported, shows a ClaimBook message box with the
' install steps. Once a job runs, it reports every problem in its own message box.
' xlwings' RunPython catches Python errors itself and shows them in its own Error box, so
' On Error here only sees errors raised in VBA. When Python stopped before ClaimBook could
' say anything (Python not found, xlwings or claimbook_button not importable), RunPython
' returns -1 on Windows and CB_ShowFailure explains what to check.
Option Explicit

Public Sub CB_ValidateCodes()
    On Error GoTo Failed
    If RunPython("import claimbook_button; claimbook_button.run('validate_codes')") = -1 Then CB_ShowFailure "Validate codes", ""
    Exit Sub
Failed:
    CB_ShowFailure "Validate codes", Err.Description
End Sub

Public Sub CB_ScrubClaims()
    On Error GoTo Failed
    If RunPython("import claimbook_button; claimbook_button.run('scrub_claims')") = -1 Then CB_ShowFailure "Scrub claims", ""
    Exit Sub
Failed:
    CB_ShowFailure "Scrub claims", Err.Description
End Sub

Public Sub CB_BuildBatch()
    On Error GoTo Failed
    If RunPython("import claimbook_button; claimbook_button.run('build_batch')") = -1 Then CB_ShowFailure "Build batch", ""
    Exit Sub
Failed:
    CB_ShowFailure "Build batch", Err.Description
End Sub

Public Sub CB_ImportRemittances()
    ' Asks for the 835 files, then posts them (Cancel: nothing happens).
    Dim picked As Variant, i As Long, files As String
    On Error GoTo Failed
    picked = Application.GetOpenFilename("Remittance files (*.835;*.txt;*.edi;*.x12),*.835;*.txt;*.edi;*.x12,All files (*.*),*.*", 1, "Choose the 835 remittance files to post", , True)
    If Not IsArray(picked) Then Exit Sub
    For i = LBound(picked) To UBound(picked)
        If files <> "" Then files = files & "|"
        files = files & Replace(Replace(picked(i), "\", "\\"), "'", "\'")
    Next i
    If RunPython("import claimbook_button; claimbook_button.run('reconcile_remittances', files='" & files & "')") = -1 Then CB_ShowFailure "Import remittances and reconcile", ""
    Exit Sub
Failed:
    CB_ShowFailure "Import remittances and reconcile", Err.Description
End Sub

Public Sub CB_AgingReport()
    On Error GoTo Failed
    If RunPython("import claimbook_button; claimbook_button.run('aging_report')") = -1 Then CB_ShowFailure "Aging report", ""
    Exit Sub
Failed:
    CB_ShowFailure "Aging report", Err.Description
End Sub

Public Sub CB_Dashboard()
    On Error GoTo Failed
    If RunPython("import claimbook_button; claimbook_button.run('dashboard')") = -1 Then CB_ShowFailure "Dashboard", ""
    Exit Sub
Failed:
    CB_ShowFailure "Dashboard", Err.Description
End Sub

Public Sub CB_Statements()
    On Error GoTo Failed
    If RunPython("import claimbook_button; claimbook_button.run('statements')") = -1 Then CB_ShowFailure "Statements", ""
    Exit Sub
Failed:
    CB_ShowFailure "Statements", Err.Description
End Sub

Public Sub CB_VerifyInsurance()
    On Error GoTo Failed
    If RunPython("import claimbook_button; claimbook_button.run('verify_insurance')") = -1 Then CB_ShowFailure "Verify insurance", ""
    Exit Sub
Failed:
    CB_ShowFailure "Verify insurance", Err.Description
End Sub

Public Sub CB_ImportFunctions()
    ' Makes the CB_ worksheet functions available (Windows Excel; needs "Trust access to the
    ' VBA project object model" in the Trust Center). xlwings' ImportPythonUDFs shows its own
    ' error box and then returns normally, so its outcome cannot be checked from here; this
    ' makes the same call it makes (xlwings.import_udfs through XLPy) and reports "ready" only
    ' when that call succeeded. The add-in imports into itself, a workbook into itself.
    Dim wb As Workbook, imported As String
    #If Mac Then
        MsgBox "The CB_ worksheet functions need Excel for Windows: xlwings cannot add Python functions to Excel for Mac." & vbCrLf & vbCrLf & _
               "On a Mac, use the ClaimBook buttons (Validate codes shows the same checks in the Findings sheet).", vbInformation, "ClaimBook"
        Exit Sub
    #End If
    If GetConfig("CONDA PATH") <> "" And CheckConda(GetConfig("CONDA PATH")) = False Then Exit Sub
    Set wb = ThisWorkbook
    On Error GoTo Failed
    imported = XLPy.Str(XLPy.Call(XLPy.Module("xlwings"), "import_udfs", XLPy.Tuple(GetUdfModules(wb), wb)))
    On Error GoTo 0
    MsgBox "The ClaimBook functions are ready: CB_ICD, CB_CHECK_CODES, CB_NPI, CB_TIMELY_DAYS, CB_AGING_BUCKET and CB_CLAIM_STATUS." & vbCrLf & vbCrLf & _
           "Try it: type  =CB_ICD(""E11.65"")  in an empty cell.", vbInformation, "ClaimBook"
    Exit Sub
Failed:
    CB_ShowFailure "Import functions", Err.Description
End Sub

Public Sub CB_Help()
    MsgBox "Fill in the sheets in the order the Instructions sheet gives, then use the ClaimBook buttons from left to right." & vbCrLf & vbCrLf & _
           "Validate codes and Scrub claims write the Findings and Claim Status sheets; Build batch writes 837P files next to this workbook; Import remittances posts 835 files; Aging report, Dashboard and Statements are the reports; Verify insurance checks coverage on each appointment date." & vbCrLf & vbCrLf & _
           "First time on this computer: fill in the xlwings.conf sheet (where Python is, and the ClaimBook addin folder), then click Import functions once for the CB_ worksheet functions." & vbCrLf & vbCrLf & _
           "ClaimBook never changes the cells you type: it replaces its own result sheets on each run.", vbInformation, "ClaimBook"
End Sub

Private Sub CB_ShowFailure(job As String, detail As String)
    ' detail: the error Excel or Python reported ("" when RunPython returned -1: xlwings has
    ' already shown Python's message, and the reason is one of the setup steps below).
    Dim d As String, reason As String, todo As String, steps As String
    d = LCase(detail)
    steps = "1. Tell Excel where Python is: put the full path of python in the Interpreter_Win (Windows) or Interpreter_Mac (Mac) line of the xlwings.conf sheet (claimbook.conf in the add-in), e.g. C:\Users\you\AppData\Local\Programs\Python\Python312\python.exe" & vbCrLf & _
            "2. Install ClaimBook for that Python: in Command Prompt (Windows) or Terminal (Mac), in your ClaimBook folder, run  python -m pip install ." & vbCrLf & _
            "3. Set the PYTHONPATH line of that sheet to the addin folder of your ClaimBook folder (it holds claimbook_button.py)." & vbCrLf & _
            "4. Save the workbook, restart Excel and click again. Still failing? See the ClaimBook guide (docs/excel.md), 'When a button fails'."
    If InStr(d, "no module named 'claimbook_button'") > 0 Or InStr(d, "no module named 'claimbook_jobs'") > 0 Or InStr(d, "no module named 'claimbook_xl'") > 0 Then
        reason = "Python started, but it cannot find ClaimBook's Excel files (the addin folder)."
        todo = "1. Set the PYTHONPATH line of the xlwings.conf sheet (claimbook.conf in the add-in) to the addin folder of your ClaimBook folder, e.g. C:\ClaimBook\addin" & vbCrLf & _
               "2. Save the workbook and click again."
    ElseIf InStr(d, "no module named") > 0 Then
        reason = "Python started, but ClaimBook (or a part it needs) is not installed for it (" & detail & ")."
        todo = "1. In Command Prompt (Windows) or Terminal (Mac), in your ClaimBook folder, run  python -m pip install ." & vbCrLf & _
               "2. Use the same Python as the Interpreter_Win / Interpreter_Mac line of the xlwings.conf sheet (blank: the python on PATH)." & vbCrLf & _
               "3. Restart Excel and click again."
    ElseIf InStr(d, "not trusted") > 0 Or InStr(d, "programmatic access") > 0 Then
        reason = "Excel does not let ClaimBook add its functions to this workbook."
        todo = "1. File > Options > Trust Center > Trust Center Settings > Macro Settings: tick 'Trust access to the VBA project object model', then OK." & vbCrLf & _
               "2. Click Import functions again."
    ElseIf InStr(d, "com server") > 0 Or InStr(d, "interpreter") > 0 Or InStr(d, "not recognized") > 0 Or InStr(d, "xlwings32") > 0 Or InStr(d, "xlwings64") > 0 Then
        reason = "Excel could not start Python (" & detail & ")."
        todo = steps
    ElseIf detail = "" Then
        reason = "Python stopped before ClaimBook could start; the Error box before this one shows Python's own message."
        todo = steps
    Else
        reason = "Excel reported: " & detail
        todo = steps
    End If
    MsgBox job & " did not run. " & reason & vbCrLf & vbCrLf & "What to do:" & vbCrLf & todo, vbExclamation, "ClaimBook"
End Sub
