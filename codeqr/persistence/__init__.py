"""The database: engine set-up, write transactions, schema upgrades, the Flask extensions."""
