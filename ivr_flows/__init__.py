"""IVR flows: the flow engine, flow definitions and the speech-text topic classifier."""
