"""Text in, routing decision out: jieba + scikit-learn. Never imports hotline."""
