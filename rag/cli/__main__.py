from rag.cli.main import app

app()
