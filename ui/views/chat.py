"""Page script (see ui/app.py); the page lives in ui/chat.py."""

from ui.chat import render

render()
