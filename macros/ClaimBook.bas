Attribute VB_Name = "ClaimBook"
' ClaimBook buttons: one Sub per job. Each makes one RunPython call into the Python module
' claimbook_jobs (addin/claimbook_jobs.py), which reads this workbook's sheets, runs the same
' engine as `claimbook run`, writes the ClaimBook result sheets and shows a short message.
' The Python side never raises; an error here means Python itself could not be started.
Option Explicit

Public Sub CB_ValidateCodes()
    On Error GoTo Failed
    RunPython "import claimbook_jobs; claimbook_jobs.validate_codes()"
    Exit Sub
Failed:
    CB_ShowFailure "Validate codes"
End Sub

Public Sub CB_ScrubClaims()
    On Error GoTo Failed
    RunPython "import claimbook_jobs; claimbook_jobs.scrub_claims()"
    Exit Sub
Failed:
    CB_ShowFailure "Scrub claims"
End Sub

Public Sub CB_BuildBatch()
    On Error GoTo Failed
    RunPython "import claimbook_jobs; claimbook_jobs.build_batch()"
    Exit Sub
Failed:
    CB_ShowFailure "Build batch"
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
    RunPython "import claimbook_jobs; claimbook_jobs.reconcile_remittances(files='" & files & "')"
    Exit Sub
Failed:
    CB_ShowFailure "Import remittances and reconcile"
End Sub

Public Sub CB_AgingReport()
    On Error GoTo Failed
    RunPython "import claimbook_jobs; claimbook_jobs.aging_report()"
    Exit Sub
Failed:
    CB_ShowFailure "Aging report"
End Sub

Public Sub CB_Dashboard()
    On Error GoTo Failed
    RunPython "import claimbook_jobs; claimbook_jobs.dashboard()"
    Exit Sub
Failed:
    CB_ShowFailure "Dashboard"
End Sub

Public Sub CB_Statements()
    On Error GoTo Failed
    RunPython "import claimbook_jobs; claimbook_jobs.statements()"
    Exit Sub
Failed:
    CB_ShowFailure "Statements"
End Sub

Public Sub CB_VerifyInsurance()
    On Error GoTo Failed
    RunPython "import claimbook_jobs; claimbook_jobs.verify_insurance()"
    Exit Sub
Failed:
    CB_ShowFailure "Verify insurance"
End Sub

Public Sub CB_ImportFunctions()
    ' Makes the CB_... worksheet functions available (needs "Trust access to the VBA project
    ' object model" in Excel's Trust Center, see docs/excel.md).
    On Error GoTo Failed
    If LCase(Right(ThisWorkbook.Name, 5)) = ".xlam" Then
        ImportPythonUDFsToAddin
    Else
        ImportPythonUDFs
    End If
    MsgBox "The ClaimBook functions (CB_ICD, CB_CHECK_CODES, CB_NPI, CB_TIMELY_DAYS, CB_AGING_BUCKET, CB_CLAIM_STATUS) are ready.", vbInformation, "ClaimBook"
    Exit Sub
Failed:
    CB_ShowFailure "Import functions"
End Sub

Public Sub CB_Help()
    MsgBox "Fill in the sheets in the order the Instructions sheet gives, then use the ClaimBook buttons from left to right." & vbCrLf & vbCrLf & _
           "Validate codes and Scrub claims write the Findings and Claim Status sheets; Build batch writes 837P files next to this workbook; Import remittances posts 835 files; Aging report, Dashboard and Statements are the reports." & vbCrLf & vbCrLf & _
           "ClaimBook never changes the cells you type: it replaces its own result sheets on each run.", vbInformation, "ClaimBook"
End Sub

Private Sub CB_ShowFailure(job As String)
    MsgBox job & " could not start Python: " & Err.Description & vbCrLf & vbCrLf & _
           "What to do:" & vbCrLf & _
           "1. Check that Python and ClaimBook are installed: in a terminal, run  python -m pip install claimbook" & vbCrLf & _
           "2. Tell Excel where Python is: the Interpreter_Win (Windows) or Interpreter_Mac (Mac) line of the xlwings.conf sheet (or claimbook.conf in the add-in), e.g. C:\Users\you\AppData\Local\Programs\Python\Python312\python.exe" & vbCrLf & _
           "3. Check that PYTHONPATH on that sheet names the folder holding claimbook_jobs.py." & vbCrLf & _
           "4. Save the workbook, restart Excel and click again. Still failing? See docs/excel.md, 'When a button fails'.", vbExclamation, "ClaimBook"
End Sub
