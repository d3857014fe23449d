-- +goose Up
-- Outcome measures (issue 19): PHQ-9 and GAD-7 as built-in exercises of a
-- new kind. Each is a locked instrument: the definition carries
-- "measure" (internal/measure scores it, by key and version), the wording
-- is the published one (internal/measure/reference holds the copies a test
-- compares with), and the exercise service refuses to copy or change it.
-- Being exercises, they are assigned, repeated, reminded and reviewed with
-- the same machinery. A new wording is a new version, never an edit.

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('phq-9') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
 "title": "PHQ-9 (Patient Health Questionnaire)",
 "purpose": "A standard questionnaire, scored by Trellis. Its wording cannot be changed. PHQ-9, developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc.; no permission required to reproduce. Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity measure. J Gen Intern Med. 2001;16(9):606-613.",
 "intro": "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
 "minutes": 5,
 "fields": [
  {
   "key": "item1",
   "type": "choice",
   "label": "1. Little interest or pleasure in doing things",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item2",
   "type": "choice",
   "label": "2. Feeling down, depressed, or hopeless",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item3",
   "type": "choice",
   "label": "3. Trouble falling or staying asleep, or sleeping too much",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item4",
   "type": "choice",
   "label": "4. Feeling tired or having little energy",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item5",
   "type": "choice",
   "label": "5. Poor appetite or overeating",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item6",
   "type": "choice",
   "label": "6. Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item7",
   "type": "choice",
   "label": "7. Trouble concentrating on things, such as reading the newspaper or watching television",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item8",
   "type": "choice",
   "label": "8. Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item9",
   "type": "choice",
   "label": "9. Thoughts that you would be better off dead or of hurting yourself in some way",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "difficulty",
   "type": "choice",
   "label": "If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?",
   "options": [
    {
     "key": "0",
     "label": "Not difficult at all"
    },
    {
     "key": "1",
     "label": "Somewhat difficult"
    },
    {
     "key": "2",
     "label": "Very difficult"
    },
    {
     "key": "3",
     "label": "Extremely difficult"
    }
   ]
  }
 ],
 "measure": "phq-9"
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- +goose StatementBegin
WITH e AS (INSERT INTO exercises (builtin_key) VALUES ('gad-7') RETURNING id)
INSERT INTO exercise_versions (exercise_id, version, definition)
SELECT id, 1, $json${
 "title": "GAD-7 (Generalized Anxiety Disorder scale)",
 "purpose": "A standard questionnaire, scored by Trellis. Its wording cannot be changed. GAD-7, developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc.; no permission required to reproduce. Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized anxiety disorder: the GAD-7. Arch Intern Med. 2006;166(10):1092-1097.",
 "intro": "Over the last 2 weeks, how often have you been bothered by the following problems?",
 "minutes": 5,
 "fields": [
  {
   "key": "item1",
   "type": "choice",
   "label": "1. Feeling nervous, anxious or on edge",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item2",
   "type": "choice",
   "label": "2. Not being able to stop or control worrying",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item3",
   "type": "choice",
   "label": "3. Worrying too much about different things",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item4",
   "type": "choice",
   "label": "4. Trouble relaxing",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item5",
   "type": "choice",
   "label": "5. Being so restless that it is hard to sit still",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item6",
   "type": "choice",
   "label": "6. Becoming easily annoyed or irritable",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "item7",
   "type": "choice",
   "label": "7. Feeling afraid as if something awful might happen",
   "options": [
    {
     "key": "0",
     "label": "Not at all"
    },
    {
     "key": "1",
     "label": "Several days"
    },
    {
     "key": "2",
     "label": "More than half the days"
    },
    {
     "key": "3",
     "label": "Nearly every day"
    }
   ]
  },
  {
   "key": "difficulty",
   "type": "choice",
   "label": "If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?",
   "options": [
    {
     "key": "0",
     "label": "Not difficult at all"
    },
    {
     "key": "1",
     "label": "Somewhat difficult"
    },
    {
     "key": "2",
     "label": "Very difficult"
    },
    {
     "key": "3",
     "label": "Extremely difficult"
    }
   ]
  }
 ],
 "measure": "gad-7"
}$json$::jsonb FROM e;
-- +goose StatementEnd

-- The practice chooses whether pages and reports also judge change by the
-- NHS Talking Therapies thresholds (PHQ-9 at least 6 points, GAD-7 at
-- least 4) beside Jacobson & Truax's reliable change index.
ALTER TABLE practices ADD COLUMN nhs_change_thresholds boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE practices DROP COLUMN nhs_change_thresholds;
-- Versions are immutable (a trigger refuses deletes): drop it for the
-- rollback only.
ALTER TABLE exercise_versions DISABLE TRIGGER exercise_versions_no_update;
DELETE FROM exercise_versions WHERE exercise_id IN (SELECT id FROM exercises WHERE builtin_key IN ('phq-9', 'gad-7'));
ALTER TABLE exercise_versions ENABLE TRIGGER exercise_versions_no_update;
DELETE FROM exercises WHERE builtin_key IN ('phq-9', 'gad-7');
