"""Page script (see ui/app.py); the page lives in ui/practice.py."""

from ui.practice import render

render()
