"""Small helpers with no project imports: files and the cycle collector."""
