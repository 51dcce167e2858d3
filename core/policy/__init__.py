"""The policy's decisions as pure functions over plain values: no database, no Streamlit, no clock."""
