"""Page script (see ui/app.py); the page lives in ui/corpus.py."""

from ui.corpus import render

render()
