"""The domain: QR Codes and their services, schemas, models, rendering and rules."""
