"""Page script (see ui/app.py); the page lives in ui/evaluation.py."""

from ui.evaluation import render

render()
