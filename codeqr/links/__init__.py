"""What a scan of a QR Code opens, decided without a database or a request: the smart
rules (``rules``), the decision of a scan (``decide``) and the UTM parameters added to
where it goes (``utm``). The redirect, the API and the forms build on these."""
