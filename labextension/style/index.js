import './base.css';
import './snapshots.css';
import './results.css';
