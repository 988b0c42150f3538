"""An example of each content type, as the API takes it: the CSV template's rows and the
docs show them; each is valid (its checksums hold), so an import of the template works."""

EXAMPLES: dict[str, dict] = {
    "url": {"url": "https://example.com/menu"},
    "text": {"text": "Table 12: ask for today's specials"},
    "email": {"email": {"email": "bookings@example.com", "subject": "A table for Friday",
                        "body": "Hello, a table for two at 8 pm, please."}},
    "phone": {"phone": "+33612345678"},
    "sms": {"sms": {"phone": "+33612345678", "message": "Please call me back"}},
    "facetime": {"facetime": {"target": "+33612345678"}},
    "whatsapp": {"whatsapp": {"number": "33612345678", "message": "Hello! I saw your poster."}},
    "geo": {"latlog": {"latitude": 48.8584, "longitude": 2.2945}},
    "latlog": {"latlog": {"latitude": 51.5007, "longitude": -0.1246}},
    "wifi": {"wifi": {"ssid": "Cafe Guest", "password": "espresso-2026", "encryption": "WPA"}},
    "vcard": {"vcard": {"firstName": "Ada", "lastName": "Lovelace", "organization": "Analytical Engines",
                        "title": "Engineer", "phones": ["+442071234567"], "emails": ["ada@example.com"],
                        "website": "https://example.com/ada"}},
    "event": {"event": {"summary": "Spring launch", "start": "2027-03-19T18:00:00+01:00",
                        "end": "2027-03-19T22:00:00+01:00", "location": "12 Market Street"}},
    "crypto": {"crypto": {"currency": "bitcoin", "address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                          "amount": "0.001", "label": "Donation"}},
    "pix": {"pix": {"key": "123e4567-e12b-12d1-a456-426655440000", "name": "Fulano de Tal", "city": "BRASILIA",
                    "amount": "10.00"}},
    "epc": {"epc": {"name": "Red Cross of Belgium", "iban": "BE72000000001616", "bic": "BPOTBEB1",
                    "amount": "1.00", "remittance": "Urgency fund"}},
    "gs1": {"url": "https://example.com/products/09506000134352",
            "gs1": {"gtin": "09506000134352", "batch": "ABC123"}},
}
