"""Placeholder until its issue lands."""
import streamlit as st

st.info("This screen is being built.")
