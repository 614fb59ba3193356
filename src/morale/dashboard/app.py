"""The dashboard's entry point (`morale dashboard` runs it with Streamlit): the pages, and the warm worker.

Each page is a script of its own under `screens/`; a page whose file is missing is left out of the menu. The folder
is not called `pages/`: Streamlit would take that for its older multipage layout and, on a page's own address,
run the page without this script (its menu and its worker).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from morale.dashboard import session

PAGES = (("scenario.py", "Scenario"), ("compare.py", "Compare"), ("explore.py", "Explore"), ("classic.py", "Classic"))
FOLDER = Path(__file__).parent / "screens"

st.set_page_config(page_title="morale", layout="wide")
session.runner()  # start the worker with the app, so it is warm by the first Run
st.navigation([st.Page(FOLDER / name, title=title, default=name == "scenario.py")
               for name, title in PAGES if (FOLDER / name).is_file()]).run()
