"""The internal seat-command topic is created with every other topic, apart from the contract."""

from shared.topics import ALL_TOPICS, InternalTopic, Topic, dead_letter_topic


def test_the_seat_command_topic_and_its_dead_letter_topic_are_created_with_the_rest() -> None:
    topic = InternalTopic.SEAT_COMMANDS.value
    assert topic in ALL_TOPICS
    assert dead_letter_topic(topic) in ALL_TOPICS
    assert topic not in {t.value for t in Topic}  # not part of the published contract
    assert len(ALL_TOPICS) == len(set(ALL_TOPICS)) == 2 * (len(Topic) + len(InternalTopic))
