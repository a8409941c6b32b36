"""word-stats: word statistics over a text.

Input: text (or a JSON string). Output (JSON): the number of words, of
distinct words, of sentences, the mean word length, and the `top` most
frequent words with their counts (ties by first appearance).

The stop words are a table built once, at build time, by `load`.
"""

import re
from collections import Counter

from algobox_sdk import Context, export_algorithm

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
TOP = 5


@export_algorithm
class WordStats:
    def load(self):
        # Runs once when the component is built; every call starts with it.
        self.stop_words = frozenset(
            "a an and are as at be but by for from has have he her his i in is it "
            "its of on or she that the their them they this to was were will with you".split()
        )

    def initialize(self, text: str):
        self.text = text

    def start(self, ctx: Context):
        words = [word.lower() for word in WORD.findall(self.text)]
        ctx.progress(50, f"{len(words)} words")
        counts = Counter(word for word in words if word not in self.stop_words)
        sentences = len(SENTENCE_END.findall(self.text.strip()))
        if self.text.strip() and not SENTENCE_END.search(self.text.strip()[-1] + " "):
            sentences += 1
        return {
            "words": len(words),
            "distinct": len(set(words)),
            "sentences": sentences,
            "mean_word_length": round(sum(map(len, words)) / len(words), 3) if words else 0.0,
            "top": [{"word": word, "count": count} for word, count in counts.most_common(TOP)],
        }
