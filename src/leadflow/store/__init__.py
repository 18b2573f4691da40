"""The database shell: rows, connections, migrations and routing state kept in SQL."""
