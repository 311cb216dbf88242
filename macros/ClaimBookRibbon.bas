Attribute VB_Name = "ClaimBookRibbon"
' Callbacks of the ClaimBook ribbon tab (customUI.xml): each calls the job's Sub.
Option Explicit

Public Sub CBRibbon_ValidateCodes(control As IRibbonControl)
    CB_ValidateCodes
End Sub

Public Sub CBRibbon_ScrubClaims(control As IRibbonControl)
    CB_ScrubClaims
End Sub

Public Sub CBRibbon_BuildBatch(control As IRibbonControl)
    CB_BuildBatch
End Sub

Public Sub CBRibbon_ImportRemittances(control As IRibbonControl)
    CB_ImportRemittances
End Sub

Public Sub CBRibbon_AgingReport(control As IRibbonControl)
    CB_AgingReport
End Sub

Public Sub CBRibbon_Dashboard(control As IRibbonControl)
    CB_Dashboard
End Sub

Public Sub CBRibbon_Statements(control As IRibbonControl)
    CB_Statements
End Sub

Public Sub CBRibbon_VerifyInsurance(control As IRibbonControl)
    CB_VerifyInsurance
End Sub

Public Sub CBRibbon_ImportFunctions(control As IRibbonControl)
    CB_ImportFunctions
End Sub

Public Sub CBRibbon_Help(control As IRibbonControl)
    CB_Help
End Sub
