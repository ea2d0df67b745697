"""Pure decisions over frozen records and an injected `now`: is an item new and where does it
go (`items`), what a source's state becomes after a fetch (`sources`), when to ask it again
(`schedule`), whether it is healthy (`health`), what work an article is owed once written and
what happens after that work fails (`enrich`). No I/O and no clock reads: they return what
should happen, and the pipeline carries it out."""
