"""Layer 5, store: the gradebook (SQLite, schema, migrations, mixins); every read and write of marks goes through ``Gradebook``."""
