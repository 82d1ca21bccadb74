"""Study mode: practise interview questions from the corpus and compare roles.

- ``practice``: the index's practice questions, their order, the next one to show
- ``feedback``: which key points an answer covers, and where to read up on the rest
- ``compare``: side-by-side role comparison tables, every cell cited
- ``progress``: a learner's practice history (one SQLite file per profile)
- ``extract`` / ``rounds`` / ``backfill``: finding questions in documents (ingest uses these too)

Import the module you need (``from rag.study.feedback import feedback``); this package
re-exports nothing, so importing one part never loads the others.
"""
