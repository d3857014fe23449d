-- +goose Up
-- The built-in exercise library (shared/content/trust-exercises.md): eight
-- exercises that belong to no practice, each at version 1. Practices copy
-- them to adapt them; other code depends on the builtin_key values and on
-- the field keys that feed charts and reports, so change those only with a
-- new version and the code that reads them.

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('roots-of-mistrust') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
  "title": "Roots of my mistrust",
  "purpose": "Helps the client look at where a feeling of mistrust comes from: what belongs to the present, what is carried over from the past, and what the other person has actually done. How strong the mistrust feels (0–10) is tracked over time.",
  "intro": "Sometimes it is hard to trust someone, and it can help to look at where that feeling comes from. In this exercise you will think about one recent moment and what was behind it. There are no right or wrong answers. You can skip any question, or stop if it starts to feel like too much.",
  "minutes": 15,
  "fields": [
    {
      "key": "moment",
      "type": "long_text",
      "label": "Think of a recent moment when trusting someone felt hard. What happened?",
      "help": "Who was there, what was said or done, and how you felt. A few lines is enough.",
      "required": true
    },
    {
      "key": "now_or_past",
      "type": "choice",
      "label": "Is this feeling mostly about what is happening now, or about the past?",
      "help": "The past can include other people and other relationships, not just this one.",
      "required": true,
      "options": [
        {"key": "mostly_now", "label": "Mostly about now"},
        {"key": "mostly_past", "label": "Mostly about the past"},
        {"key": "both", "label": "Some of both"},
        {"key": "not_sure", "label": "I'm not sure"}
      ]
    },
    {
      "key": "shown_trust",
      "type": "long_text",
      "label": "What has this person done that showed you they can be trusted?",
      "help": "Small things count too, like keeping a promise or turning up when they said they would."
    },
    {
      "key": "hurt_trust",
      "type": "long_text",
      "label": "What has this person done that hurt your trust?"
    },
    {
      "key": "told_needs",
      "type": "choice",
      "label": "Have you told this person what you need from them?",
      "options": [
        {"key": "yes", "label": "Yes"},
        {"key": "partly", "label": "Partly"},
        {"key": "no", "label": "Not yet"}
      ]
    },
    {
      "key": "mistrust_strength",
      "type": "scale",
      "label": "Right now, how strong does the mistrust feel?",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not strong at all",
      "max_label": "As strong as it gets",
      "tracked": true
    }
  ]
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('trust-thought-record') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
  "title": "Trust thought record",
  "purpose": "A classic thought record for moments when mistrust shows up: situation, automatic thought and feeling, facts for and against the thought, and a more balanced thought. Emotion intensity before and after (0–100) is tracked, so reports can show the change.",
  "intro": "A thought can make a feeling much stronger than the facts call for. This exercise helps you slow down and look at one thought more closely. Write a few words for each step; it does not need to be long. You can skip anything that does not fit, and stop whenever you need to.",
  "minutes": 15,
  "fields": [
    {
      "key": "situation",
      "type": "short_text",
      "label": "What was the situation?",
      "help": "Where you were, who was there and what happened. For example: my partner came home late and did not text.",
      "required": true
    },
    {
      "key": "thought",
      "type": "long_text",
      "label": "What thought went through your mind?",
      "help": "Write it the way it sounded in your head.",
      "required": true
    },
    {
      "key": "emotion",
      "type": "short_text",
      "label": "What feeling did you have?",
      "help": "One or two words, like worried, angry, sad or hurt.",
      "required": true
    },
    {
      "key": "intensity_before",
      "type": "percent",
      "label": "How strong was that feeling, from 0 to 100?",
      "required": true,
      "min_label": "Not at all",
      "max_label": "The strongest it could be",
      "tracked": true
    },
    {
      "key": "facts_for",
      "type": "long_text",
      "label": "What facts support the thought?",
      "help": "Things that really happened, not guesses about what someone meant."
    },
    {
      "key": "facts_against",
      "type": "long_text",
      "label": "What facts do not fit the thought?",
      "help": "Anything that points another way, even if it seems small."
    },
    {
      "key": "balanced_thought",
      "type": "long_text",
      "label": "Looking at all the facts, what is a more balanced way to see it?",
      "help": "It does not have to be positive. It just has to be fair to all the facts.",
      "required": true
    },
    {
      "key": "intensity_after",
      "type": "percent",
      "label": "How strong is the feeling now, from 0 to 100?",
      "required": true,
      "min_label": "Not at all",
      "max_label": "The strongest it could be",
      "tracked": true
    }
  ]
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('honest-conversation') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
  "title": "Planning an honest conversation",
  "purpose": "Prepares the client to raise something that matters without blame, using an 'I' statement built from four parts and shown back as one sentence. Worry before and after the conversation (0–10) is tracked.",
  "intro": "Talking about trust can feel scary. Planning what you want to say can make it easier to stay calm and clear. You will build one sentence that starts with 'I', so it is about how you feel, not about blaming the other person. Fill in the last part after the talk. Skip anything you are not ready for.",
  "minutes": 20,
  "sentence": "I feel {i_feel} when {i_when} because {i_because}. What I need is {i_need}.",
  "fields": [
    {
      "key": "topic",
      "type": "long_text",
      "label": "What do you want to talk about?",
      "help": "Pick one thing. It is easier to talk about one thing at a time.",
      "required": true
    },
    {
      "key": "i_feel",
      "type": "short_text",
      "label": "How do you feel about it?",
      "help": "Finish the sentence 'I feel …' with a feeling word, like worried, hurt or left out.",
      "required": true
    },
    {
      "key": "i_when",
      "type": "short_text",
      "label": "When do you feel this way?",
      "help": "Finish 'when …' by saying what happens, without blame. For example: plans change at the last minute.",
      "required": true
    },
    {
      "key": "i_because",
      "type": "short_text",
      "label": "Why does it affect you like this?",
      "help": "Finish 'because …'. For example: I start to wonder if I matter to you.",
      "required": true
    },
    {
      "key": "i_need",
      "type": "short_text",
      "label": "What do you need?",
      "help": "Finish 'What I need is …' with something small and clear, like a text if you will be late.",
      "required": true
    },
    {
      "key": "when_where",
      "type": "short_text",
      "label": "When and where could you have this talk?",
      "help": "Choose a calm time when neither of you is rushed, tired or upset."
    },
    {
      "key": "worry_before",
      "type": "scale",
      "label": "Before the talk: how worried do you feel about it?",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not worried at all",
      "max_label": "Very worried",
      "tracked": true
    },
    {
      "key": "how_it_went",
      "type": "long_text",
      "label": "After the talk: how did it go?",
      "help": "What went well? What was hard? Is there anything you would say differently next time?"
    },
    {
      "key": "worry_after",
      "type": "scale",
      "label": "After the talk: how worried do you feel now?",
      "min": 0,
      "max": 10,
      "min_label": "Not worried at all",
      "max_label": "Very worried",
      "tracked": true
    }
  ]
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('boundaries-expectations') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
  "title": "Boundaries and expectations",
  "purpose": "Helps the client put into words what they need, where their limits are and how to say them, and check whether a boundary protects them or shuts the other person out. Includes a 0–10 rating of how realistic the expectation is.",
  "intro": "Boundaries are the lines that help you feel safe and respected. Clear, fair expectations give trust room to grow. In this exercise you will write down what you need, where your limits are, and how you might say them. Take your time, and leave out anything you are not sure about yet.",
  "minutes": 20,
  "fields": [
    {
      "key": "needs",
      "type": "long_text",
      "label": "What do you need in this relationship?",
      "help": "For example: honesty about money, or time to talk each week.",
      "required": true
    },
    {
      "key": "limits",
      "type": "long_text",
      "label": "What are your limits? What is not okay for you?",
      "required": true
    },
    {
      "key": "how_to_say",
      "type": "long_text",
      "label": "How will you tell the other person about your needs and limits?",
      "help": "Try writing the words you might use. Short and calm is usually easier to hear."
    },
    {
      "key": "rebuild",
      "type": "long_text",
      "label": "What could the other person do to help rebuild your trust?",
      "help": "Think of things they could really do, and that you would be able to notice."
    },
    {
      "key": "protect_or_wall",
      "type": "choice",
      "label": "Look at one limit you wrote. Is it protecting you, or walling you off?",
      "help": "A boundary keeps you safe and still leaves room to connect. A wall keeps people out even when they try.",
      "required": true,
      "options": [
        {"key": "protects", "label": "It protects me"},
        {"key": "walls_off", "label": "It walls me off"},
        {"key": "some_of_both", "label": "Some of both"},
        {"key": "not_sure", "label": "I'm not sure"}
      ]
    },
    {
      "key": "realism",
      "type": "scale",
      "label": "How realistic is what you are hoping for from the other person?",
      "help": "Realistic means something a caring person could do most of the time, not perfectly every time.",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not realistic",
      "max_label": "Very realistic"
    }
  ]
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('trust-ladder') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
  "title": "Trust ladder step",
  "purpose": "A graded behavioural experiment: one small, planned act of trust, a prediction, what actually happened and how the other person handled it. Meant to repeat weekly; how risky the step feels and anxiety afterwards (0–10) are tracked.",
  "intro": "Trust can grow back one small step at a time. This week, choose one small act of trust that feels a little uncomfortable but doable. Fill in the first part before you try it, and the rest afterwards. If a step feels too big, choose a smaller one. That is part of how this works.",
  "minutes": 15,
  "fields": [
    {
      "key": "step",
      "type": "short_text",
      "label": "What small act of trust will you try this week?",
      "help": "For example: sharing something personal, or letting them make a plan without checking every detail.",
      "required": true
    },
    {
      "key": "risk",
      "type": "scale",
      "label": "How risky does this step feel?",
      "help": "A good step usually feels somewhere in the middle.",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not risky at all",
      "max_label": "Very risky",
      "tracked": true
    },
    {
      "key": "prediction",
      "type": "long_text",
      "label": "What do you think will happen?",
      "required": true
    },
    {
      "key": "outcome",
      "type": "long_text",
      "label": "What actually happened?",
      "help": "Fill this in after you have tried the step.",
      "required": true
    },
    {
      "key": "handled",
      "type": "choice",
      "label": "How did the other person handle it?",
      "required": true,
      "options": [
        {"key": "better", "label": "Better than I expected"},
        {"key": "as_expected", "label": "About as I expected"},
        {"key": "worse", "label": "Worse than I expected"}
      ],
      "tracked": true
    },
    {
      "key": "anxiety_after",
      "type": "scale",
      "label": "Afterwards, how anxious did you feel?",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not anxious at all",
      "max_label": "Very anxious",
      "tracked": true
    },
    {
      "key": "learned",
      "type": "long_text",
      "label": "What did you learn from this step?",
      "help": "Was your guess right? What could your next step be?"
    }
  ]
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('forgiveness-reflection') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
  "title": "Forgiveness reflection",
  "purpose": "A reflection on a hurt and on what forgiving could mean for the client's own peace, stating that forgiving is not reconciling or forgetting. Readiness to forgive (0–10) is tracked, with no expectation that it rises.",
  "intro": "This exercise is about forgiveness, which is something you do for your own peace. Forgiving is not the same as reconciling (making up, or going back to how things were), and it is not the same as forgetting. You do not have to be ready to forgive, and there is no deadline. Go at your own pace, and skip a question or stop whenever you need to.",
  "minutes": 25,
  "fields": [
    {
      "key": "what_happened",
      "type": "long_text",
      "label": "What happened, and how did it affect you?",
      "help": "Write as much or as little as feels okay.",
      "required": true
    },
    {
      "key": "feel_now",
      "type": "long_text",
      "label": "How do you feel about it now?",
      "required": true
    },
    {
      "key": "their_side",
      "type": "long_text",
      "label": "What might have been going on for the other person at the time?",
      "help": "This is not about excusing what they did. Understanding something is not the same as saying it was okay."
    },
    {
      "key": "learned",
      "type": "long_text",
      "label": "What have you learned from this?"
    },
    {
      "key": "what_forgiving_means",
      "type": "long_text",
      "label": "What would forgiving mean for you, and what would it not mean?",
      "help": "For example, it might mean putting down some anger. It does not have to mean trusting them again, making up, or forgetting.",
      "required": true
    },
    {
      "key": "readiness",
      "type": "scale",
      "label": "How ready do you feel to forgive right now?",
      "help": "Any number is okay. This is not a test.",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not ready at all",
      "max_label": "Completely ready",
      "tracked": true
    }
  ]
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('weekly-trust-check-in') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
  "title": "Weekly trust check-in",
  "purpose": "A short weekly rating (0–10) of open communication, respect, consistency, empathy, forgiveness and overall trust in the relationship; the main series for progress charts and reports. One optional note on what helped or hurt trust.",
  "intro": "This is a quick check on how trust felt in your relationship this week. For each question, pick the number that feels closest. There are no right answers, and it is normal for the numbers to go up and down from week to week.",
  "minutes": 5,
  "fields": [
    {
      "key": "open_communication",
      "type": "scale",
      "label": "This week, how open and honest did your talks feel?",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not at all",
      "max_label": "Completely",
      "tracked": true
    },
    {
      "key": "respect",
      "type": "scale",
      "label": "How respected did you feel this week?",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not at all",
      "max_label": "Completely",
      "tracked": true
    },
    {
      "key": "consistency",
      "type": "scale",
      "label": "How well did words and actions match this week?",
      "help": "For example: plans were kept and promises were followed through.",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not at all",
      "max_label": "Completely",
      "tracked": true
    },
    {
      "key": "empathy",
      "type": "scale",
      "label": "How well did you understand each other's feelings this week?",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not at all",
      "max_label": "Completely",
      "tracked": true
    },
    {
      "key": "forgiveness",
      "type": "scale",
      "label": "How able were you to let go of small hurts this week?",
      "help": "Letting go does not mean pretending something did not matter.",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not at all",
      "max_label": "Completely",
      "tracked": true
    },
    {
      "key": "overall",
      "type": "scale",
      "label": "Overall, how much did you trust this relationship this week?",
      "required": true,
      "min": 0,
      "max": 10,
      "min_label": "Not at all",
      "max_label": "Completely",
      "tracked": true
    },
    {
      "key": "note",
      "type": "long_text",
      "label": "What is one thing that helped or hurt trust this week?"
    }
  ]
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('worth-and-trust') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
  "title": "Worth and trust",
  "purpose": "For mistrust rooted in low self-esteem: the client examines a self-critical thought about deserving trust or care, gathers evidence against it and answers it as they would a friend. Belief in the thought before and after (0–100) is tracked.",
  "intro": "Sometimes it is hard to trust others because part of you believes you do not deserve care. This exercise helps you look at that kind of thought and answer it more kindly. Be as honest as you can; nobody is grading this. You can skip a question or stop if it feels like too much.",
  "minutes": 15,
  "fields": [
    {
      "key": "thought",
      "type": "long_text",
      "label": "What is a harsh thought you have about whether you deserve trust or care?",
      "help": "For example: if they really knew me, they would not stay.",
      "required": true
    },
    {
      "key": "belief_before",
      "type": "percent",
      "label": "How much do you believe this thought right now?",
      "required": true,
      "min_label": "Not at all",
      "max_label": "Completely",
      "tracked": true
    },
    {
      "key": "evidence",
      "type": "long_text",
      "label": "What shows that you are worth caring about?",
      "help": "Think of times people valued you, kind things you have done, or things you are proud of. Small things count.",
      "required": true
    },
    {
      "key": "friend",
      "type": "long_text",
      "label": "If a good friend had this thought about themselves, what would you say to them?",
      "required": true
    },
    {
      "key": "belief_after",
      "type": "percent",
      "label": "How much do you believe the harsh thought now?",
      "required": true,
      "min_label": "Not at all",
      "max_label": "Completely",
      "tracked": true
    }
  ]
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE exercise_versions DISABLE TRIGGER exercise_versions_no_update;
UPDATE exercises SET copied_from = NULL
 WHERE copied_from IN (SELECT id FROM exercises WHERE builtin_key IN ('roots-of-mistrust', 'trust-thought-record', 'honest-conversation', 'boundaries-expectations', 'trust-ladder', 'forgiveness-reflection', 'weekly-trust-check-in', 'worth-and-trust'));
DELETE FROM exercise_versions
 WHERE exercise_id IN (SELECT id FROM exercises WHERE builtin_key IN ('roots-of-mistrust', 'trust-thought-record', 'honest-conversation', 'boundaries-expectations', 'trust-ladder', 'forgiveness-reflection', 'weekly-trust-check-in', 'worth-and-trust'));
DELETE FROM exercises WHERE builtin_key IN ('roots-of-mistrust', 'trust-thought-record', 'honest-conversation', 'boundaries-expectations', 'trust-ladder', 'forgiveness-reflection', 'weekly-trust-check-in', 'worth-and-trust');
ALTER TABLE exercise_versions ENABLE TRIGGER exercise_versions_no_update;
