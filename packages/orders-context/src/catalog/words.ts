/**
 * Word lists the catalog generator composes titles from. Each category has a few
 * words of its own so a title reads like its genre ("Midnight Harvest" is horror,
 * "The Saddle Road" a western); the shared lists make the rest.
 */

/** Category names (ids 1..n in this order): the usual movie genres. */
export const categoryNames = [
  'Action',
  'Adventure',
  'Animation',
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Family',
  'Fantasy',
  'History',
  'Horror',
  'Music',
  'Mystery',
  'Romance',
  'Science Fiction',
  'TV Movie',
  'Thriller',
  'War',
  'Western',
  'Biography',
  'Sports',
] as const;

/** How many movies each category gets, relative to the others (Drama is common, TV Movie rare). */
export const categoryWeights: Record<(typeof categoryNames)[number], number> = {
  Action: 9,
  Adventure: 7,
  Animation: 5,
  Comedy: 10,
  Crime: 6,
  Documentary: 4,
  Drama: 12,
  Family: 5,
  Fantasy: 5,
  History: 3,
  Horror: 6,
  Music: 3,
  Mystery: 4,
  Romance: 6,
  'Science Fiction': 6,
  'TV Movie': 2,
  Thriller: 7,
  War: 3,
  Western: 2,
  Biography: 3,
  Sports: 3,
};

/** Words that give a title its genre. */
export const genreWords: Record<(typeof categoryNames)[number], { nouns: string[]; adjectives: string[] }> = {
  Action: { nouns: ['Strike', 'Vengeance', 'Pursuit', 'Fury', 'Impact', 'Payback', 'Showdown'], adjectives: ['Lethal', 'Maximum', 'Iron', 'Rapid', 'Deadly'] },
  Adventure: { nouns: ['Expedition', 'Treasure', 'Voyage', 'Summit', 'Jungle', 'Compass', 'Quest'], adjectives: ['Lost', 'Uncharted', 'Wild', 'Forgotten', 'Distant'] },
  Animation: { nouns: ['Bunny', 'Robot', 'Dragonfly', 'Penguin', 'Teapot', 'Pixel', 'Balloon'], adjectives: ['Tiny', 'Bouncy', 'Magical', 'Curious', 'Sparkly'] },
  Comedy: { nouns: ['Wedding', 'Roommate', 'Vacation', 'Neighbors', 'Reunion', 'Mix-Up', 'Prank'], adjectives: ['Awkward', 'Crazy', 'Accidental', 'Totally', 'Hopeless'] },
  Crime: { nouns: ['Heist', 'Syndicate', 'Witness', 'Alibi', 'Ransom', 'Precinct', 'Getaway'], adjectives: ['Dirty', 'Crooked', 'Cold', 'Marked', 'Brutal'] },
  Documentary: { nouns: ['Planet', 'Ocean', 'Factory', 'Revolution', 'Harvest', 'Island', 'Machine'], adjectives: ['Hidden', 'Untold', 'Secret', 'Living', 'Changing'] },
  Drama: { nouns: ['Promise', 'Letters', 'Homecoming', 'Silence', 'Inheritance', 'Seasons', 'Daughter'], adjectives: ['Quiet', 'Broken', 'Tender', 'Bitter', 'Gentle'] },
  Family: { nouns: ['Puppy', 'Treehouse', 'Holiday', 'Grandpa', 'Summer Camp', 'Pony', 'Snow Day'], adjectives: ['Happy', 'Lucky', 'Little', 'Big', 'Sunny'] },
  Fantasy: { nouns: ['Kingdom', 'Sorcerer', 'Crown', 'Dragon', 'Prophecy', 'Realm', 'Amulet'], adjectives: ['Enchanted', 'Shadow', 'Eternal', 'Crystal', 'Ancient'] },
  History: { nouns: ['Empire', 'Dynasty', 'Republic', 'Charter', 'Crusade', 'Pharaoh', 'Senate'], adjectives: ['Imperial', 'Royal', 'Great', 'First', 'Golden'] },
  Horror: { nouns: ['Harvest', 'Cellar', 'Curse', 'Haunting', 'Asylum', 'Ritual', 'Whisper'], adjectives: ['Midnight', 'Hollow', 'Wicked', 'Sinister', 'Dead'] },
  Music: { nouns: ['Melody', 'Encore', 'Rhythm', 'Ballad', 'Tour', 'Chorus', 'Backbeat'], adjectives: ['Electric', 'Acoustic', 'Soulful', 'Loud', 'Sweet'] },
  Mystery: { nouns: ['Clue', 'Riddle', 'Manor', 'Cipher', 'Disappearance', 'Key', 'Locket'], adjectives: ['Missing', 'Strange', 'Curious', 'Hidden', 'Locked'] },
  Romance: { nouns: ['Kiss', 'Heart', 'Valentine', 'Love Letter', 'Serenade', 'Sweetheart', 'Honeymoon'], adjectives: ['Endless', 'Secret', 'Unexpected', 'Summer', 'Forever'] },
  'Science Fiction': { nouns: ['Galaxy', 'Android', 'Nebula', 'Colony', 'Signal', 'Protocol', 'Orbit'], adjectives: ['Quantum', 'Stellar', 'Cyber', 'Final', 'Parallel'] },
  'TV Movie': { nouns: ['Christmas', 'Bakery', 'Inn', 'Hometown', 'Makeover', 'Recipe', 'Festival'], adjectives: ['Cozy', 'Sweet', 'Snowy', 'Perfect', 'Merry'] },
  Thriller: { nouns: ['Conspiracy', 'Target', 'Hostage', 'Deadline', 'Trap', 'Stranger', 'Countdown'], adjectives: ['Silent', 'Fatal', 'Blind', 'Dark', 'Final'] },
  War: { nouns: ['Battalion', 'Frontline', 'Trench', 'Squadron', 'Beachhead', 'Convoy', 'Siege'], adjectives: ['Bloody', 'Brave', 'Fallen', 'Steel', 'Last'] },
  Western: { nouns: ['Saddle', 'Outlaw', 'Sheriff', 'Canyon', 'Frontier', 'Stagecoach', 'Gulch'], adjectives: ['Dusty', 'Lonesome', 'Rawhide', 'High', 'Rustler'] },
  Biography: { nouns: ['Life', 'Legacy', 'Story', 'Years', 'Portrait', 'Journey', 'Memoir'], adjectives: ['Remarkable', 'True', 'Extraordinary', 'Private', 'Public'] },
  Sports: { nouns: ['Championship', 'Underdog', 'Playoff', 'Comeback', 'Rookie', 'Knockout', 'Finish Line'], adjectives: ['Unbeaten', 'Winning', 'Fast', 'Perfect', 'Mighty'] },
};

export const sharedNouns = [
  'Road', 'River', 'Night', 'City', 'Storm', 'Garden', 'Mirror', 'Bridge', 'Winter', 'Harbor',
  'Horizon', 'Shadow', 'Fire', 'Stone', 'Crossing', 'Lighthouse', 'Station', 'Border', 'Orchard', 'Tide',
  'Echo', 'Lantern', 'Valley', 'Frontier', 'Song', 'Dream', 'Window', 'Forest', 'Engine', 'Desert',
];

export const sharedAdjectives = [
  'Last', 'Long', 'Silver', 'Red', 'Northern', 'Second', 'Broken', 'Burning', 'Golden', 'Hidden',
  'Endless', 'Empty', 'Wild', 'Quiet', 'Blue', 'Little', 'Lonely', 'Sudden', 'Crimson', 'Frozen',
];

export const places = [
  'Paris', 'Tokyo', 'Brooklyn', 'Havana', 'Cairo', 'Lisbon', 'Nairobi', 'Oslo', 'Kingston', 'Santiago',
  'Marrakesh', 'Vienna', 'Memphis', 'Saigon', 'Dublin', 'Bombay', 'Tulsa', 'Shanghai', 'Trinidad', 'Montana',
];

export const firstNames = [
  'Maggie', 'Jack', 'Rosa', 'Eddie', 'Nora', 'Sam', 'Iris', 'Leo', 'Ada', 'Frank',
  'Lucy', 'Oscar', 'Vera', 'Hank', 'June', 'Otis', 'Mabel', 'Ray', 'Clara', 'Walt',
];
