"""Layer 4, intake: input files turned into typed frames plus findings (registrations, schools, payments, score sheets, theory)."""
