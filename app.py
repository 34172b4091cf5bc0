"""Start the web chat on http://127.0.0.1:7860 (``QA_HOST``/``QA_PORT``); same as ``qa serve``."""

from qa.serve.ui.start import main

if __name__ == "__main__":
    main()
