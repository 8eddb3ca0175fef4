"""Development tools: a local fake Twilio REST API and the simulated centre of `hotline demo`."""
