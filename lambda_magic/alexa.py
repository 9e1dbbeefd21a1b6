"""``lm.alexa``: an Alexa custom skill's conversation with a function (placeholder)."""
