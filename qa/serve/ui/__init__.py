"""The web chat: pure HTML rendering (render, timeline, examples) apart from the Gradio layout (blocks)."""
