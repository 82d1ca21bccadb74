"""Page script (see ui/app.py); the page lives in ui/compare.py."""

from ui.compare import render

render()
