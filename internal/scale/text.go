package scale

// The words the synthetic practice is made of. Texts are short, calm and
// plausible, in the scripts Trellis must render (Latin with accents, Greek,
// Cyrillic, Vietnamese). riskSentences hold language the real risk scanner
// flags; every other text must not be flagged (a test checks both).

var firstNames = []string{
	"Zoë", "Eleni", "Dmitri", "Hương", "Siobhán", "Samuel", "Amara", "Jonas", "Priya", "Mateo",
	"Aiko", "Fatima", "Lukas", "Chloé", "Oluwaseun", "Mei", "Rafael", "Ingrid", "Tomás", "Yusuf",
	"Anya", "Kwame", "Noor", "Björn", "Camille", "Diego", "Élodie", "Hiroshi", "Ioana", "Jamal",
	"Katarzyna", "Leilani", "Magnus", "Nadia", "Océane", "Pavel", "Quentin", "Rania", "Søren", "Thandiwe",
	"Ελένη", "Γιώργος", "Мария", "Алексей", "Nguyễn Văn", "Trần Thị", "Aoife", "Ciarán", "Ngozi", "Ravi",
}

var lastNames = []string{
	"Martin", "Papadopoulou", "Ivanov", "Nguyen", "O'Neill", "Adeyemi", "Okafor", "Berg", "Sharma", "García",
	"Tanaka", "Haddad", "Müller", "Lefèvre", "Balogun", "Chen", "Costa", "Johansson", "Ó Briain", "Demir",
	"Kowalska", "Kahale", "Lindqvist", "Mansour", "Dubois", "Petrov", "Laurent", "Rossi", "Popescu", "Williams",
	"Παπαδάκης", "Смирнова", "Hương", "Đặng", "Murphy", "Eze", "Patel", "Schmidt", "Novák", "Fernández",
}

var therapistTitles = []string{"Dr.", "", "", "Dr.", ""}

// longSentences make up long answers, one to three at a time.
var longSentences = []string{
	"We had a calmer week and I told them when plans changing worried me.",
	"A hard conversation on Tuesday, but I stayed with it instead of going quiet.",
	"Small things helped: a text when they were running late, and a promise kept about the weekend.",
	"I noticed I was checking their phone in my head even when I did not touch it.",
	"When they came home late I expected the worst, and then it was only the traffic.",
	"My sister says I am more relaxed lately, and I think she is right.",
	"I felt left out when they made plans with friends without asking me first.",
	"We cooked together on Sunday and it felt easy for the first time in a while.",
	"I said what I needed out loud, which is new for me.",
	"It was a busy week at work and I had less energy for any of this.",
	"I caught the old story starting in my head and named it instead of believing it.",
	"They apologised without my asking, and I did not know what to do with that.",
	"I kept a promise to myself to go for a walk before replying when I felt upset.",
	"My mother used to say one thing and do another, and I see where my doubts come from.",
	"The argument was about the dishes, but underneath it was about feeling taken for granted.",
	"We agreed on a signal for when one of us needs a pause in a discussion.",
	"I am still angry about last year, but it takes up less room than it did.",
	"I wrote down what happened before deciding what it meant, and that helped.",
	"They were honest about a mistake, and it hurt, but I trusted them more for it.",
	"I slept badly most of the week, which made every small thing feel bigger.",
	"Η εβδομάδα ήταν πιο ήρεμη και μιλήσαμε ανοιχτά για τα σχέδια του Σαββάτου.",
	"На этой неделе мы спокойно поговорили, и мне стало легче.",
	"Tuần này chúng tôi đã nói chuyện thẳng thắn hơn và tôi thấy nhẹ nhõm.",
	"Je me suis sentie écoutée quand j'ai parlé de mes inquiétudes.",
	"I noticed I assumed they were annoyed with me, and when I asked, they were just tired.",
	"Nothing big happened, and maybe that is the point: a quiet, ordinary week.",
	"I want to keep practising saying no without explaining myself for ten minutes.",
	"They remembered something I said weeks ago, and it meant a lot.",
	"I let them plan the weekend without checking every detail, and it was fine.",
	"We disagreed about money and nobody raised their voice.",
}

// riskSentences are language the risk scanner flags (one per category it
// knows), put into a small share of long answers so the inbox has flagged
// work as the app would flag it.
var riskSentences = []string{
	"Some nights I think everyone would be better off without me.",
	"I have been hurting myself again when it gets too much.",
	"When he drinks he gets violent and I am scared to go home.",
	"I was so angry I felt like I could hit him.",
	"I have had thoughts of ending it all this week.",
	"She threatened me again when I said I wanted to leave.",
}

var shortTexts = []string{
	"They came home late without texting",
	"A message I was not meant to see",
	"Plans changed at the last minute",
	"We argued about visiting my parents",
	"They forgot something important to me",
	"A friend's comment at dinner",
	"Sunday evening, after the children were asleep",
	"On a walk, where it is easier to talk",
	"Waiting for a reply that took hours",
	"They were quiet all evening",
}

// byKey gives known fields answers that read naturally; other text fields
// use the general pools.
var byKey = map[string][]string{
	"emotion":    {"worried", "hurt", "angry", "sad", "anxious and a bit hopeless", "left out", "embarrassed"},
	"i_feel":     {"worried", "left out", "hurt", "on edge", "unimportant"},
	"i_when":     {"plans change at the last minute", "I hear about things from other people first", "my messages go unanswered all day", "we only talk about the children"},
	"i_because":  {"I start to wonder if I matter to you", "it reminds me of how things used to be", "I do not know what to expect", "I want us to be a team"},
	"i_need":     {"a quick text if you will be late", "that we decide big plans together", "ten minutes to talk each evening", "to hear it from you first"},
	"when_where": {"Saturday morning over coffee", "On our evening walk", "After the session on Thursday", "At the weekend, when we are both rested"},
	"step":       {"Let them plan the weekend on their own", "Share something I worry about", "Not check where they are for one evening", "Ask for help with something I usually do alone"},
	"situation":  shortTexts,
}

var therapistNotes = []string{
	"",
	"Each Sunday evening, take five minutes for this. There are no right answers.",
	"Try this after a moment that felt hard, while it is still fresh.",
	"Plan it first; we can go through it together next time.",
	"Go gently with this one. Skip anything that does not feel right.",
	"",
}

var feedbackTexts = []string{
	"Thank you for this. I noticed you named what you needed instead of waiting to be asked.",
	"This is a real step. Let's look at what made it possible when we meet.",
	"I can see how hard this week was. Bring the Tuesday conversation to our session if you like.",
	"Your balanced thought is fair to all the facts. Well done for slowing down.",
	"Thank you for being so honest here. We will take this at your pace.",
	"Notice how your numbers moved this month: something you are doing is working.",
}

var noteTexts = []string{
	"Pattern: mistrust rises after contact with family. Explore next session.",
	"Ask about sleep; it seems to colour everything this month.",
	"Good use of the pause signal. Reinforce.",
	"Consider moving to every two weeks for check-ins.",
	"Follow up on the flagged passage first thing next session.",
	"Client asked to revisit the honest-conversation plan.",
}
