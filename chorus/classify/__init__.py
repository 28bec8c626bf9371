"""The offline comment classifier: language, sentiment, spam, abuse and intents for the inbox, with no network."""
