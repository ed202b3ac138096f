"""Municipedia, mounted at /wiki/ (config/urls.py)."""

from django.urls import path

from townsquare.staff import wiki

app_name = "wiki"

urlpatterns = [
    path("", wiki.index, name="index"),
    path("search", wiki.search, name="search"),
    path("new", wiki.new, name="new"),
    path("watched/seen", wiki.watched_seen, name="watched_seen"),
    path("<int:article_id>/", wiki.article, name="article"),
    path("<int:article_id>/edit", wiki.edit, name="edit"),
    path("<int:article_id>/history", wiki.history, name="history"),
    path("<int:article_id>/diff", wiki.diff, name="diff"),
    path("<int:article_id>/revert", wiki.revert, name="revert"),
    path("<int:article_id>/copy", wiki.copy, name="copy"),
    path("<int:article_id>/source-changes", wiki.source_changes, name="source_changes"),
    path("<int:article_id>/bring-in", wiki.bring_in, name="bring_in"),
    path("<int:article_id>/reviewed", wiki.reviewed, name="reviewed"),
    path("<int:article_id>/approve", wiki.approve, name="approve"),
    path("<int:article_id>/watch", wiki.watch, name="watch"),
    path("<int:article_id>/talk", wiki.talk, name="talk"),
    path("<int:article_id>/talk/<int:comment_id>/hide", wiki.hide_comment, name="hide_comment"),
]
