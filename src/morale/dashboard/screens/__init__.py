"""The dashboard's pages: each a Streamlit script that renders one page (`app.py` lists them)."""
