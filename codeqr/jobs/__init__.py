"""Long work as jobs: persisted in the database, run by a thread of each serving process,
held by a lease so that a job whose process died is taken up again by another."""
