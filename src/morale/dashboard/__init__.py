"""The interactive dashboard (`morale dashboard`): a Streamlit app whose pages run, compare and explore
scenarios. Nothing here is imported by the model; the worker process imports only the model and `request`."""
