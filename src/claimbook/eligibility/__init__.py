"""Insurance verification: coverage on the appointment date, the patient's estimated share,
X12 270 eligibility requests and the 271 responses that fill in the coverage fields."""
